"""Pages and writes over HTTP: S1 (signal detail and list), S1s (search), S2 (recognise and withdraw),
S7 (the same view through gunicorn and through uvicorn)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from bench import load
from bench.context import Context, api_token, session_cookie
from bench.report import Row

CONNECTIONS = 32


def _people(count: int) -> list[int]:
    """Ids of ``count`` active, verified members of the busiest community (plain members, professionals)."""
    from community.models import Membership, Role, UserKind

    return list(
        Membership.objects.filter(role=Role.MEMBER, user__is_active=True, user__kind=UserKind.PROFESSIONAL)
        .order_by("user_id")
        .values_list("user_id", flat=True)[:count]
    )


def _busy_signals(count: int, minimum_messages: int = 50) -> list[int]:
    """Listed signals with at least ``minimum_messages`` messages, the fewest first: S1's detail page is
    a signal with about fifty (the data has a few with thousands)."""
    from django.db.models import Count

    from signals.models import Signal, Status

    return list(
        Signal.objects.filter(hidden=False)
        .exclude(status=Status.MERGED)
        .annotate(message_total=Count("messages"))
        .filter(message_total__gte=minimum_messages)
        .order_by("message_total", "pk")
        .values_list("pk", flat=True)[:count]
    )


def _check_answers(base: str, paths: list[str], cookie: str) -> None:
    """Every path answers 200 to this person: a redirect or an error would be measured as a fast page."""
    with httpx.Client(base_url=base, headers={"Cookie": cookie}, timeout=30) as client:
        for path in paths:
            status = client.get(path).status_code
            if status != 200:
                raise RuntimeError(f"{path} answered {status}, not 200")


def _queries(paths: list[str], user_id: int) -> list[int]:
    """How many SQL queries each page runs (Django's test client, in this process, same database)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    counts = []
    for path in paths:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200, path
        counts.append(len(captured))
    return counts


def s1_pages(context: Context) -> list[Row]:
    top = context.topology
    user = _people(1)[0]
    cookie = f"Cookie: {session_cookie(user)}"
    signals = _busy_signals(20)
    if not signals:
        raise RuntimeError("no signal with 50 messages: was the data seeded?")
    detail = [f"/signals/{pk}/" for pk in signals]
    listing = ["/signals/"]
    _check_answers(top.web, [*detail, *listing, "/bench/hello/"], cookie.split(": ", 1)[1])

    def measure(paths: list[str]) -> load.Run:
        return context.median_of(
            lambda: load.http(top.web, paths, connections=CONNECTIONS, seconds=context.seconds, headers=[cookie])
        )

    hello = measure(["/bench/hello/"])
    rows = []
    few = _few_message_signals()
    for name, paths, query_paths in (
        ("signal detail, 50+ messages and timeline", detail, [*detail[:3], *few]),
        ("signal list (default), signed in", listing, ["/signals/", "/signals/?page=2", "/signals/?page=5"]),
    ):
        run = measure(paths)
        queries = _queries(query_paths, user)
        ratio = run.rate / hello.rate
        constant = len(set(queries)) == 1
        rows.append(
            Row(
                "S1",
                f"{name}, {CONNECTIONS} concurrent",
                {**_http_figures(run), "queries": "/".join(map(str, queries))},
                baseline="Django hello view, same gunicorn",
                baseline_figures=_http_figures(hello),
                ratio=ratio,
                target="≥ 0.40 × hello; p95 ≤ 50 ms; constant queries",
                met=ratio >= 0.40 and run.p95_ms <= 50 and constant and run.errors == 0,
                note=f"queries per page for {len(query_paths)} different pages: {queries}",
            )
        )
    return rows


def _few_message_signals() -> list[str]:
    """Detail pages of signals with only a few messages: the query count must not depend on it."""
    from django.db.models import Count

    from signals.models import Signal, Status

    pks = (
        Signal.objects.filter(hidden=False)
        .exclude(status=Status.MERGED)
        .annotate(message_total=Count("messages"))
        .filter(message_total__range=(1, 5))
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    return [f"/signals/{pk}/" for pk in pks]


def _http_figures(run: load.Run) -> dict[str, Any]:
    return {
        "rate": round(run.rate, 1),
        "p50_ms": round(run.p50_ms, 1),
        "p95_ms": round(run.p95_ms, 1),
        "p99_ms": round(run.p99_ms, 1),
        "errors": run.errors,
        "generator_cpu": round(run.generator_cpu, 2),
    }


def _search_path() -> str:
    """A search with filters that finds a page of signals: the commonest title word, one theme, one municipality."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT word, theme_id, municipality_id FROM (
                SELECT lower(split_part(title, ' ', 1)) AS word, theme_id, municipality_id, count(*) AS n
                FROM signals_signal WHERE NOT hidden GROUP BY 1, 2, 3
            ) counted WHERE length(word) >= 4 ORDER BY n DESC LIMIT 1
            """
        )
        word, theme, municipality = cursor.fetchone()
    return f"/signals/?q={word}&theme={theme}&municipality={municipality}"


def _page_query(path: str, user_id: int) -> str:
    """The SQL of the list's page of results (the search itself), with its parameters in place."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from community.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    searches = [query["sql"] for query in captured if "@@" in query["sql"] and "LIMIT" in query["sql"]]
    if len(searches) != 1:
        raise RuntimeError(f"expected one search query on {path}, found {len(searches)}")
    return searches[0]


def s1s_search(context: Context) -> list[Row]:
    top = context.topology
    user = _people(1)[0]
    cookie = session_cookie(user)
    path = _search_path()
    _check_answers(top.web, [path], cookie)
    statement = _page_query(path, user)
    page = context.median_of(
        lambda: load.http(
            top.web, [path], connections=CONNECTIONS, seconds=context.seconds, headers=[f"Cookie: {cookie}"]
        )
    )
    raw = context.median_of(
        lambda: load.sql(top.env["DATABASE_URL"], statement, clients=CONNECTIONS, seconds=context.seconds)
    )
    ratio = page.rate / raw.rate
    return [
        Row(
            "S1s",
            f"list with full-text search and 2 filters, {CONNECTIONS} concurrent",
            _http_figures(page),
            baseline="the search as one raw SQL query (psycopg, same concurrency)",
            baseline_figures=_http_figures(raw),
            ratio=ratio,
            target="≥ 0.50 × raw query; p95 ≤ 100 ms",
            met=ratio >= 0.50 and page.p95_ms <= 100 and page.errors == 0,
            note=f"path {path}",
        )
    ]


WRITERS = 8


def s2_recognitions(context: Context) -> list[Row]:
    """Recognise and withdraw through the API, each of 8 connections as a person of its own."""
    from signals.models import Recognition, Signal, Status

    top = context.topology
    people = _people(WRITERS + 1)
    tokens = [api_token(person) for person in people]
    # Signals none of the writers has recognised, so each POST adds a row and each DELETE takes it away.
    signals = list(
        Signal.objects.filter(hidden=False, status=Status.OPEN)
        .exclude(recognitions__user_id__in=people)
        .exclude(author_id__in=people)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    paths = [f"/api/v1/signals/{pk}/recognitions/" for pk in signals]
    writes = context.median_of(
        lambda: load.http(
            top.web,
            paths,
            connections=WRITERS,
            seconds=context.seconds,
            methods=("POST", "DELETE"),
            thread_headers=[
                [f"Authorization: Bearer {token}", "Content-Type: application/json"] for token in tokens[:WRITERS]
            ],
        )
    )
    inserts = context.median_of(lambda: _insert_rate(context))
    ratio = writes.rate / inserts.rate

    duplicates = asyncio.run(_duplicates(top.web, paths[0], tokens[WRITERS], 1000))
    rows_left = Recognition.objects.filter(signal_id=signals[0], user_id=people[WRITERS]).count()
    mismatched = _counter_mismatches()
    correct = rows_left == 1 and mismatched == 0
    return [
        Row(
            "S2",
            f"recognise/withdraw through the API, {WRITERS} concurrent people",
            {**_http_figures(writes)},
            baseline=f"single-row INSERT, {WRITERS} psycopg clients",
            baseline_figures=_http_figures(inserts),
            ratio=ratio,
            target="≥ 0.10 × INSERT rate; 1,000 duplicates leave 1 row; counters = rows",
            met=ratio >= 0.10 and correct and writes.errors == 0,
            note=(
                f"1,000 concurrent duplicate recognitions: answers {duplicates}, rows left {rows_left}; "
                f"signals whose counters differ from their rows after the run: {mismatched}"
            ),
        )
    ]


def _insert_rate(context: Context) -> load.Run:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, signal integer, at timestamptz)"
        )
        cursor.execute("TRUNCATE bench_insert")
    return load.sql(
        context.topology.env["DATABASE_URL"],
        "INSERT INTO bench_insert (signal, at) VALUES (1, now())",
        clients=WRITERS,
        seconds=context.seconds,
    )


async def _duplicates(base: str, path: str, token: str, count: int) -> dict[int, int]:
    """``count`` recognitions of one signal by one person at once; how many got each answer."""
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        answers = await asyncio.gather(
            *(client.post(path, headers={"Authorization": f"Bearer {token}"}) for _ in range(count))
        )
    statuses = [answer.status_code for answer in answers]
    return {status: statuses.count(status) for status in sorted(set(statuses))}


def _counter_mismatches() -> int:
    """Signals whose recognition counter differs from their recognition rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM signals_signal s
            LEFT JOIN (SELECT signal_id, count(*) AS n FROM signals_recognition GROUP BY signal_id) r
                ON r.signal_id = s.id
            WHERE s.recognition_count <> coalesce(r.n, 0)
            """
        )
        return int(cursor.fetchone()[0])


def s7_servers(context: Context) -> list[Row]:
    """The same views through gunicorn (WSGI, 2 sync workers) and uvicorn (ASGI, 1 process)."""
    top = context.topology
    cookie = f"Cookie: {session_cookie(_people(1)[0])}"
    detail = f"/signals/{_busy_signals(1)[0]}/"
    rows = []
    for name, path in (("hello view", "/bench/hello/"), ("signal detail", detail)):
        runs: dict[str, load.Run] = {
            server: context.median_of(
                lambda base=base, path=path: load.http(  # type: ignore[misc]
                    base, [path], connections=CONNECTIONS, seconds=context.seconds, headers=[cookie]
                )
            )
            for server, base in (("gunicorn", top.web), ("uvicorn", top.asgi))
        }
        rows.append(
            Row(
                "S7",
                f"{name}: uvicorn (ASGI) against gunicorn (WSGI), {CONNECTIONS} concurrent",
                _http_figures(runs["uvicorn"]),
                baseline="gunicorn",
                baseline_figures=_http_figures(runs["gunicorn"]),
                ratio=runs["uvicorn"].rate / runs["gunicorn"].rate,
                target="recorded",
            )
        )
    return rows
