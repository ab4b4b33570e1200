"""The live discussion over real WebSockets: S3 (fan-out to 100 and 500 subscribers), S4 (2,000 sockets
across 200 signals, then all drop and come back), S5 (a message posted over HTTP, seen by 50 sockets).

The product's uvicorn (the Procfile's ``ws``) is measured against a bare ``websockets`` broadcast server
(bench.bareserver) with the same clients (bench.wsclient, processes of their own) in the same run.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import topology
from bench.context import Context, api_token, session_cookie
from bench.report import Row
from tests.servers import _child, _wait_for_port, free_port

SOCKETS_PER_PROCESS = 250


class Rolled(Exception):
    """Raised inside a transaction to roll back a post (S5)."""


# --- the servers and the people ----------------------------------------------------------


@contextmanager
def bare_server() -> Iterator[tuple[str, int]]:
    """The baseline server on a free port: its ws:// base and its pid."""
    port = free_port()
    with _child([sys.executable, "-m", "bench.bareserver", "--port", str(port)], {}) as (process, log):
        _wait_for_port(port, process, log, "bare server")
        yield f"ws://127.0.0.1:{port}", process.pid


def _community_people(count: int) -> tuple[int, list[int]]:
    """The busiest community and ``count`` of its active plain members, who may all take part in a
    discussion (professionals and status holders alike; fewer if it has fewer)."""
    from django.db.models import Count

    from community.models import Community, Membership, Role

    community = (
        Community.objects.annotate(people=Count("memberships")).order_by("-people", "pk").values_list("pk", flat=True)
    )[0]
    people = list(
        Membership.objects.filter(community_id=community, user__is_active=True, role=Role.MEMBER)
        .order_by("user_id")
        .values_list("user_id", flat=True)[:count]
    )
    return community, people


def _open_signals(community: int, count: int) -> list[int]:
    """Signals of ``community`` that take messages (listed, not merged), the least discussed first."""
    from django.db.models import Count

    from signals.models import Signal, Status

    return list(
        Signal.objects.filter(community_id=community, hidden=False)
        .exclude(status=Status.MERGED)
        .annotate(message_total=Count("messages"))
        .order_by("message_total", "pk")
        .values_list("pk", flat=True)[:count]
    )


def _cookies(people: list[int], count: int) -> list[str]:
    """``count`` session cookies, one person each while there are enough, then taking turns."""
    made = [session_cookie(person) for person in people[:count]]
    return [made[index % len(made)] for index in range(count)]


# --- running the clients ----------------------------------------------------------------------


def clients(plan: dict[str, Any], *, during: Any = None) -> dict[str, Any]:
    """Run bench.wsclient over ``plan``'s sockets, in processes of at most SOCKETS_PER_PROCESS; wait until
    all are connected, call ``during()``, gather the figures.

    The sockets are split in runs of the same signal, so a signal's sockets share a process where they
    fit; each process sends to each of its signals the share of ``plan["rate"]`` its sockets hold."""
    sockets = sorted(plan["sockets"], key=lambda socket: socket[0])
    shares = max(1, math.ceil(len(sockets) / SOCKETS_PER_PROCESS))
    size = math.ceil(len(sockets) / shares)
    per_signal = Counter(signal for signal, _cookie in sockets)
    start = time.time() + len(sockets) / plan.get("connect_rate", 200) / shares + plan.get("lead", 5)
    before = _children_cpu()
    began = time.monotonic()
    processes = []
    for share in range(shares):
        part = sockets[share * size : (share + 1) * size]
        held = Counter(signal for signal, _cookie in part)
        rates = {str(signal): plan["rate"] * count / per_signal[signal] for signal, count in held.items()}
        part_plan = {**plan, "sockets": part, "start": start, "rates": rates, "raw": True}
        if share and "rss_pid" in plan:
            del part_plan["rss_pid"]  # one process samples the server's memory
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.wsclient"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=topology.ROOT,
            text=True,
        )
        process.stdin.write(json.dumps(part_plan))  # type: ignore[union-attr]
        process.stdin.close()  # type: ignore[union-attr]
        processes.append(process)
    connected = 0
    for process in processes:
        first = process.stdout.readline()  # type: ignore[union-attr]
        if not first:
            raise RuntimeError(f"a WebSocket client exited ({process.wait()}) before connecting")
        connected += json.loads(first)["connected"]
    if during is not None:
        during()
    results = []
    for process in processes:
        output = process.stdout.read()  # type: ignore[union-attr]
        if process.wait() != 0:
            raise RuntimeError(f"a WebSocket client failed ({process.returncode}): {output[-2000:]}")
        results.append(json.loads(output.strip().splitlines()[-1]))
    wall = time.monotonic() - began
    return _merged(results, connected, (_children_cpu() - before) / wall)


def _merged(results: list[dict[str, Any]], connected: int, generator_cpu: float) -> dict[str, Any]:
    """One run's figures over its client processes. A message any socket received was accepted by the
    server; each socket of its signal should have received it."""
    latencies = sorted(latency for result in results for latency in result["latencies_us"])

    def percentile(percent: float) -> float:
        if not latencies:
            return float("nan")
        return float(latencies[min(len(latencies) - 1, int(len(latencies) * percent / 100))]) / 1000

    sockets: Counter[str] = Counter()
    deliveries: dict[str, Counter[str]] = {}
    for result in results:
        for signal, seen in result["signals"].items():
            sockets[signal] += seen["sockets"]
            deliveries.setdefault(signal, Counter()).update(seen["deliveries"])
    accepted = sum(len(counts) for counts in deliveries.values())
    expected = sum(len(deliveries.get(signal, ())) * count for signal, count in sockets.items())
    delivered = sum(sum(counts.values()) for counts in deliveries.values())
    resyncs = [result["resync_max_s"] for result in results if result["resync_max_s"] is not None]
    errors: Counter[str] = Counter()
    for result in results:
        errors.update(result["errors"])
    return {
        "sockets": sum(sockets.values()),
        "connected": connected,
        "sent": sum(result["sent"] for result in results),
        "accepted": accepted,
        "expected": expected,
        "delivered": delivered,
        "missing": expected - delivered,
        "unexpected": sum(result["unexpected"] for result in results),
        "failed_handshakes": sum(result["failed_handshakes"] for result in results),
        "closed_by_server": sum(result["closed_by_server"] for result in results),
        "not_resynced": sum(result["not_resynced"] for result in results),
        "resync_max_s": max(resyncs) if resyncs else None,
        "errors": dict(errors),
        "delivered_pct": 100 * delivered / expected if expected else 0.0,
        "p50_ms": percentile(50),
        "p95_ms": percentile(95),
        "p99_ms": percentile(99),
        "rss_kib": sorted(sample for result in results for sample in result["rss_kib"]),
        "generator_cpu": generator_cpu,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median_run(context: Context, measure: Any) -> dict[str, Any]:
    """The run whose p99 is the median of the repeats (its other figures come with it)."""
    runs = sorted((measure() for _ in range(context.repeats)), key=lambda run: run["p99_ms"])
    chosen: dict[str, Any] = runs[len(runs) // 2]
    chosen["delivered_pct"] = min(run["delivered_pct"] for run in runs)  # the worst repeat's delivery counts
    return chosen


def _live_figures(run: dict[str, Any]) -> dict[str, Any]:
    return {
        "delivered_pct": round(run["delivered_pct"], 2),
        "p50_ms": round(run["p50_ms"], 1),
        "p99_ms": round(run["p99_ms"], 1),
        "sent": run["accepted"],
        "generator_cpu": round(run["generator_cpu"], 2),
    }


# --- S3 -----------------------------------------------------------------------------------------


def s3_fanout(context: Context) -> list[Row]:
    top = context.topology
    community, people = _community_people(500)
    signal = _open_signals(community, 1)[0]
    rows = []
    with bare_server() as (bare, _pid):
        for subscribers, rate, bound, absolute in ((100, 20, 3.0, None), (500, 10, 2.5, 250.0)):
            cookies = _cookies(people, subscribers)
            runs = {}
            for name, base, origin in (("product", top.ws, top.asgi), ("bare", bare, None)):
                plan = {
                    "url": f"{base}/ws/signals/{{signal}}/",
                    "origin": origin,
                    "sockets": [(signal, cookie if name == "product" else "") for cookie in cookies],
                    "rate": rate,
                    "duration": context.seconds,
                    "settle": 2 if context.quick else 3,
                    "lead": 2 if context.quick else 5,
                }
                runs[name] = _median_run(context, lambda plan=plan: clients(plan))
            product, baseline = runs["product"], runs["bare"]
            ratio = product["p99_ms"] / baseline["p99_ms"]
            met = (
                product["delivered_pct"] == 100
                and ratio <= bound
                and (absolute is None or product["p99_ms"] < absolute)
            )
            rows.append(
                Row(
                    "S3",
                    f"live fan-out: one signal, {subscribers} subscribers, {rate} messages/s",
                    _live_figures(product),
                    baseline="bare websockets broadcast server, same clients",
                    baseline_figures=_live_figures(baseline),
                    ratio=ratio,
                    target=f"100 % delivered; p99 ≤ {bound} × baseline"
                    + (f" and < {absolute:.0f} ms" if absolute else ""),
                    met=met,
                    note=(
                        f"{subscribers} sockets: {len(set(cookies))} different people; errors {product['errors']}, "
                        f"closed by the server {product['closed_by_server']}, failed handshakes "
                        f"{product['failed_handshakes']}"
                    ),
                )
            )
    return rows


# --- S4 -----------------------------------------------------------------------------------------


def s4_many_sockets(context: Context) -> list[Row]:
    """2,000 sockets over 200 signals, one message a second per signal, then all drop and come back."""
    top = context.topology
    sockets_total, signal_count = (200, 20) if context.quick else (2000, 200)
    steady = 10.0 if context.quick else 300.0
    spread = 3.0 if context.quick else 30.0
    community, people = _community_people(sockets_total)
    signals = _open_signals(community, signal_count)
    cookies = _cookies(people, sockets_total)
    placed = [(signals[index % len(signals)], cookie) for index, cookie in enumerate(cookies)]
    runs = {}
    with bare_server() as (bare, bare_pid):
        for name, base, origin, pid in (
            ("product", top.ws, top.asgi, top.pid("ws")),
            ("bare", bare, None, bare_pid),
        ):
            idle = topology.rss_kib(pid)
            connected_rss: list[int] = []
            plan = {
                "url": f"{base}/ws/signals/{{signal}}/",
                "origin": origin,
                "sockets": [(signal, cookie if name == "product" else "") for signal, cookie in placed],
                "rate": 1,
                "duration": steady + spread + 10,
                "drop": {"after": steady, "spread": spread},
                "rss_pid": pid,
                "settle": 5 if context.quick else 10,
            }
            run = clients(plan, during=lambda pid=pid, seen=connected_rss: seen.append(topology.rss_kib(pid)))
            run["per_socket_kib"] = (connected_rss[0] - idle) / sockets_total
            run["drift_pct"] = _drift(run["rss_kib"], steady)
            runs[name] = run
    product, baseline = runs["product"], runs["bare"]
    ratio = product["per_socket_kib"] / max(baseline["per_socket_kib"], 0.1)
    resync = product["resync_max_s"]
    met = (
        ratio <= 4
        and product["drift_pct"] < 5
        and product["failed_handshakes"] == 0
        and product["not_resynced"] == 0
        and resync is not None
        and resync <= 10
        and product["missing"] == 0
    )

    def figures(run: dict[str, Any]) -> dict[str, Any]:
        return {
            "per_socket_kib": round(run["per_socket_kib"], 1),
            "drift_pct": round(run["drift_pct"], 2),
            "failed_handshakes": run["failed_handshakes"],
            "resync_max_s": round(run["resync_max_s"] or float("nan"), 2),
            "missing": run["missing"],
            "p99_ms": round(run["p99_ms"], 1),
        }

    return [
        Row(
            "S4",
            f"{sockets_total:,} sockets over {signal_count} signals, 1 message/s each, {steady:.0f} s; "
            f"then all drop and reconnect within {spread:.0f} s",
            figures(product),
            baseline="bare websockets server, same clients",
            baseline_figures=figures(baseline),
            ratio=ratio,
            target="≤ 4 × memory per socket; drift < 5 %; 0 failed handshakes; all resynced ≤ 10 s",
            met=met,
            note=(
                f"ratio is memory per socket; {product['accepted']:,} messages, {product['delivered']:,} of "
                f"{product['expected']:,} deliveries made, {product['not_resynced']} sockets not resynced, "
                f"closed by the server {product['closed_by_server']}, errors {product['errors']}"
            ),
        )
    ]


def _drift(samples: list[tuple[float, int]], steady: float) -> float:
    """Resident memory growth over the steady part, in %: the last samples before the drop against the
    first after a tenth of it (the start-up's own allocations settled)."""
    if len(samples) < 4:
        return float("nan")
    first_at = samples[0][0]
    window = [rss for at, rss in samples if first_at + steady * 0.1 <= at <= first_at + steady]
    if len(window) < 4:
        return float("nan")
    head, tail = window[: max(2, len(window) // 10)], window[-max(2, len(window) // 10) :]
    return 100 * (sorted(tail)[len(tail) // 2] - sorted(head)[len(head) // 2]) / sorted(head)[len(head) // 2]


# --- S5 -----------------------------------------------------------------------------------------


def s5_end_to_end(context: Context) -> list[Row]:
    """A message posted through the API, seen by 50 sockets; a rolled-back post is seen by none."""
    from bench import load

    top = context.topology
    community, people = _community_people(60)
    signal = _open_signals(community, 2)[1]
    cookies = _cookies(people, 50)
    tokens = [api_token(person, name="bench-s5") for person in people[:10]]
    rate = 5

    def product_run() -> dict[str, Any]:
        plan = {
            "url": f"{top.ws}/ws/signals/{{signal}}/",
            "origin": top.asgi,
            "sockets": [(signal, cookie) for cookie in cookies],
            "rate": rate,
            "duration": context.seconds,
            "settle": 3,
            "post": {"url": f"{top.web}/api/v1/signals/{{signal}}/messages/", "tokens": tokens},
        }
        return clients(plan, during=lambda: _rolled_back_posts(people[0], signal))

    product = _median_run(context, product_run)
    with bare_server() as (bare, _pid):
        plan = {
            "url": f"{bare}/ws/signals/{{signal}}/",
            "sockets": [(signal, "") for _ in cookies],
            "rate": rate,
            "duration": context.seconds,
            "settle": 3,
        }
        broadcast = _median_run(context, lambda: clients(plan))
    insert = context.median_of(lambda: _insert_latency(context, load))
    baseline_p95 = insert.p95_ms + broadcast["p95_ms"]
    ratio = product["p95_ms"] / baseline_p95
    return [
        Row(
            "S5",
            f"message posted over HTTP (API), seen by 50 sockets, {rate} posts/s",
            {
                "p95_ms": round(product["p95_ms"], 1),
                "p50_ms": round(product["p50_ms"], 1),
                "delivered_pct": round(product["delivered_pct"], 2),
                "rolled_back_seen": product["unexpected"],
            },
            baseline="single-row INSERT p95 + bare broadcast p95 at 50",
            baseline_figures={
                "p95_ms": round(baseline_p95, 1),
                "insert_p95_ms": round(insert.p95_ms, 1),
                "broadcast_p95_ms": round(broadcast["p95_ms"], 1),
            },
            ratio=ratio,
            target="p95 ≤ 2 × baseline + 10 ms; nothing delivered for a rolled-back post",
            met=product["p95_ms"] <= 2 * baseline_p95 + 10 and product["unexpected"] == 0 and product["missing"] == 0,
            note=(
                f"5 posts rolled back while the sockets listened, deliveries seen of them: {product['unexpected']}; "
                f"errors {product['errors']}"
            ),
        )
    ]


def _rolled_back_posts(author: int, signal: int) -> None:
    """Five posts through the product's own service, each rolled back after it was saved."""
    from django.db import transaction

    from community.models import User
    from signals import discussion
    from signals.models import Signal

    person = User.objects.get(pk=author)
    for number in range(5):
        try:
            with transaction.atomic():
                discussion.message_post(
                    actor=person,
                    signal=Signal.objects.get(pk=signal),
                    body=f"Teruggedraaid {number}.",
                    client_id=uuid.uuid4(),
                )
                raise Rolled
        except Rolled:
            pass


def _insert_latency(context: Context, load: Any) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, signal integer, at timestamptz)"
        )
    return load.sql(
        context.topology.env["DATABASE_URL"],
        "INSERT INTO bench_insert (signal, at) VALUES (1, now())",
        clients=1,
        seconds=min(context.seconds, 5),
    )
