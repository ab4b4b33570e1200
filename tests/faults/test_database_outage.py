"""PostgreSQL stops for 20 s under running page, socket and worker processes, then comes back.

What must hold: during the outage each request is answered, with an error page, within the pool's
wait (settings: ``pool.timeout`` 10 s, ``connect_timeout`` 5 s), never left hanging; once the
server is back, the SAME processes serve again without a restart (psycopg's pool drops the broken
connections and opens new ones; tasks retry with back-off); and no counter drifts from its rows.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass

import httpx
import pytest
from django.db import connection
from websockets.sync.client import connect

from community.models import Municipality, Organisation, Region, Role
from signals.models import Message, Recognition, Signal, Status, Theme
from signals.services import signal_create
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, session_key
from tests.faults.conftest import Stack, recognisers
from tests.servers import app_process, celery_worker, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.real_workers, pytest.mark.timeout(240)]

OUTAGE_SECONDS = 20
PEOPLE = 30
PLACES = ("GM0855", "GM0867", "GM0784", "GM0766", "GM0785")
# The longest an answer may take while the database is away: the pool's wait (10 s) and some slack.
BOUNDED_SECONDS = 15


@dataclass
class Answer:
    started: float
    took: float
    status: int  # 0: no answer at all (connection refused, reset or timed out)
    what: str


class Recorder:
    """Every request made while the test runs, from several threads."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.lock = threading.Lock()

    def call(self, client: httpx.Client, method: str, url: str, what: str, **kwargs: object) -> int:
        started = time.monotonic()
        try:
            status = client.request(method, url, **kwargs).status_code  # type: ignore[arg-type]
        except httpx.HTTPError:
            status = 0
        with self.lock:
            self.answers.append(Answer(started, time.monotonic() - started, status, what))
        return status


def test_requests_fail_cleanly_during_a_database_outage_and_the_same_processes_recover(stack: Stack) -> None:
    # The rule is met by the last recognition: everyone's, plus the reporter's own first one.
    community = CommunityFactory(
        region=Region.objects.get(slug="hart-van-brabant"),
        min_recognitions=PEOPLE + 1,
        min_municipalities=1,
        min_organisations=1,
    )
    reporter = UserFactory(organisation=Organisation.objects.create(name="Gemeente Tilburg"))
    reporter.municipalities.set([Municipality.objects.get(cbs_code="GM0855")])
    MembershipFactory(user=reporter, community=community, role=Role.COORDINATOR)
    signal = signal_create(
        actor=reporter, community=community, title="Wachtlijst taalles", description="Maanden wachten op taalles.",
        theme=Theme.objects.get(slug="housing"), municipality=Municipality.objects.get(cbs_code="GM0855"),
    )  # fmt: skip
    people = recognisers(community, [PLACES[number % len(PLACES)] for number in range(PEOPLE)])
    page = f"/signals/{signal.pk}/"
    recorder = Recorder()

    with (
        app_process("gunicorn", stack.env) as (web_url, web),
        app_process("uvicorn", stack.env) as (ws_url, ws),
        celery_worker(stack.env, f"w-{uuid.uuid4().hex[:6]}") as worker,
    ):
        clients = [httpx.Client(base_url=web_url, cookies={"sessionid": session_key(p)}, timeout=60) for p in people]
        for client in clients:
            client.get(page).raise_for_status()  # the CSRF cookie its form posts back

        def recognise(number: int) -> int:
            client = clients[number]
            data = {"csrfmiddlewaretoken": client.cookies["csrftoken"]}
            return recorder.call(client, "POST", f"{page}recognise/", "recognise", data=data)

        # Before: the first ten recognise.
        assert [recognise(n) for n in range(10)] == [302] * 10

        # The outage: people keep trying, one after another, and both servers' health is polled.
        stopping = time.monotonic()
        stack.postgres.stop()
        stopped = time.monotonic()
        done = threading.Event()

        def keep_recognising() -> None:
            """One person after another tries (each once); those refused try again after the outage."""
            for number in range(10, PEOPLE):
                if done.is_set():
                    return
                recognise(number)

        def keep_polling(base: str) -> None:
            with httpx.Client(base_url=base, timeout=60) as client:
                while not done.is_set():
                    recorder.call(client, "GET", "/healthz", f"healthz {base}")
                    time.sleep(0.5)

        threads = [threading.Thread(target=keep_polling, args=(url,), daemon=True) for url in (web_url, ws_url)]
        threads.append(threading.Thread(target=keep_recognising, daemon=True))
        for thread in threads:
            thread.start()
        try:
            time.sleep(OUTAGE_SECONDS - (time.monotonic() - stopping))
            stack.postgres.start()
            back = time.monotonic()
            connection.close()  # this process's own session ended with the server too
            wait_until(lambda: recorder.call(clients[0], "GET", page, "page") == 200, "the page is served again")
            # Everyone who has not recognised yet tries until it works, as people would.
            for number in range(10, PEOPLE):
                if not Recognition.objects.filter(user=people[number]).exists():
                    wait_until(lambda number=number: recognise(number) == 302, f"person {number} recognises")
        finally:
            done.set()
        for thread in threads:
            thread.join(timeout=BOUNDED_SECONDS)
        recovered = min(a.started + a.took for a in recorder.answers if a.what == "page")

        # The same worker escalates (the last recognition met the rule): its tasks run again.
        wait_until(lambda: Signal.objects.get(pk=signal.pk).status == Status.ESCALATED, "the worker escalates", 60)
        # The same socket server accepts a socket and a message, and confirms it.
        with connect(
            ws_url.replace("http://", "ws://") + f"/ws/signals/{signal.pk}/",
            origin=ws_url,
            additional_headers={"Cookie": f"sessionid={session_key(people[0])}"},
            open_timeout=10,
        ) as socket:
            client_id = str(uuid.uuid4())
            socket.send(json.dumps({"type": "message.send", "body": "Weer bereikbaar", "client_id": client_id}))
            while (event := json.loads(socket.recv(timeout=10)))["type"] != "message.new":
                pass
            assert event["message"]["client_id"] == client_id
        for client in clients:
            client.close()
        assert web.poll() is None and ws.poll() is None and worker.process.poll() is None  # never restarted

    failed = [a for a in recorder.answers if a.status not in (200, 302)]
    # During the outage: a request in flight when PostgreSQL went away counts too (it began a moment before),
    # and so do those until the pool's next attempt to reconnect: psycopg_pool backs off 1, 2, 4, 8 … s while
    # the server is away, so after a 20 s outage its next try can come up to OUTAGE_SECONDS after the restart.
    during = [a for a in failed if a.started <= back + OUTAGE_SECONDS and a.started + a.took >= stopping]
    figures = {
        "requests": len(recorder.answers),
        "errors": len(failed),
        "errors during outage": len(during),
        "statuses": sorted({a.status for a in failed}),
        "slowest error s": round(max(a.took for a in failed), 2),
        "stop took s": round(stopped - stopping, 2),
        "page served again s after start": round(recovered - back, 2),
    }
    print(f"\nPostgreSQL down {OUTAGE_SECONDS} s: {figures}")
    assert during, "nothing was asked during the outage; nothing was tested"
    assert {a.status for a in failed} <= {500, 503}  # an error page, not a dropped connection
    assert max(a.took for a in failed) < BOUNDED_SECONDS
    # Errors only while the database was away (and until the pool reconnects): none once it is back.
    assert failed == during
    # Nothing that answered "done" during the outage was lost, and the counters equal the rows.
    signal = Signal.objects.get(pk=signal.pk)
    assert Recognition.objects.filter(signal=signal).count() == PEOPLE + 1 == signal.recognition_count
    assert signal.municipality_count == len(PLACES)
    assert Message.objects.filter(signal=signal, client_id=client_id).count() == 1
