"""The live discussion across real server processes: two uvicorns sharing Redis, a killed process,
a Redis that restarts under connected clients. Clients speak the WebSocket protocol as discussion.js does."""

from __future__ import annotations

import asyncio
import json
import os
import signal as unix_signal
import statistics
import threading
import time
import uuid
from contextlib import suppress
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from community.models import User
from community.presence import EXPIRY_SECONDS, HEARTBEAT_SECONDS
from signals.models import Message, Signal
from tests.factories import session_key
from tests.servers import app_process, private_redis
from tests.signals.conftest import MakeMember

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


class Person:
    """One browser tab's socket, behaving like discussion.js: it remembers the last message id it saw,
    syncs after it on every (re)connect and resends, with the same client id, what was not confirmed."""

    def __init__(self, base_url: str, user: User, signal_id: int) -> None:
        """Made outside the event loop (it signs the person in through the database)."""
        self.url = base_url.replace("http://", "ws://") + f"/ws/signals/{signal_id}/"
        self.origin = base_url
        self.cookie = f"sessionid={session_key(user)}"
        self.socket: ClientConnection | None = None
        self.seen: list[int] = []  # message ids, in the order they arrived
        self.pending: dict[str, dict[str, Any]] = {}
        self.presence: int | None = None
        self.arrived: dict[str, float] = {}  # client id -> when its message.new arrived
        self.closes: list[int] = []
        self.presences: list[int] = []
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.socket = await connect(
            self.url, origin=self.origin, additional_headers={"Cookie": self.cookie}, open_timeout=10
        )
        self.reader = asyncio.create_task(self._read(self.socket))
        await self.socket.send(json.dumps({"type": "sync", "after": max(self.seen, default=0)}))
        for frame in list(self.pending.values()):
            await self.socket.send(json.dumps(frame))

    async def _read(self, socket: ClientConnection) -> None:
        """Read all the time, as a browser does (a client that stops reading stalls its socket on the server)."""
        try:
            async for raw in socket:
                self._take(json.loads(raw))
        except ConnectionClosed:
            pass
        self.closes.append(socket.close_code or 1006)
        self.socket = None

    async def send(self, body: str) -> str:
        client_id = str(uuid.uuid4())
        frame = {"type": "message.send", "body": body, "client_id": client_id}
        self.pending[client_id] = frame
        assert self.socket is not None
        with suppress(ConnectionClosed):
            await self.socket.send(json.dumps(frame))
        return client_id

    def _take(self, event: dict[str, Any]) -> None:
        if event["type"] == "presence":
            self.presence = event["count"]
            self.presences.append(event["count"])
        elif event["type"] == "message.new":
            message = event["message"]
            if message["id"] not in self.seen:
                self.seen.append(message["id"])
            if message["client_id"]:
                self.pending.pop(message["client_id"], None)
                self.arrived.setdefault(message["client_id"], time.perf_counter())

    async def until(self, done: Any, seconds: float) -> None:
        """Wait until ``done()`` holds; reconnect (with back-off) whenever the server has closed."""
        deadline = time.monotonic() + seconds
        delay = 0.2
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"not done within {seconds} s: presence {self.presences}, seen {self.seen}")
            if self.socket is None:
                try:
                    await self.open()
                    delay = 0.2
                except (TimeoutError, OSError, InvalidStatus, ConnectionClosed):
                    await asyncio.sleep(min(delay, left))
                    delay = min(delay * 2, 2.0)
                continue
            await asyncio.sleep(0.005)

    async def close(self) -> None:
        if self.socket is not None:
            socket = self.socket
            await socket.close()
            if self.reader is not None:
                await self.reader


class PagePoller:
    """Asks for one page every 100 ms in a thread, while in its ``with`` block; keeps the statuses."""

    def __init__(self, base_url: str, path: str, session: str) -> None:
        self.base_url, self.path, self.session = base_url, path, session
        self.statuses: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _poll(self) -> None:
        with httpx.Client(base_url=self.base_url, cookies={"sessionid": self.session}, timeout=10) as client:
            while not self._stop.is_set():
                try:
                    self.statuses.append(client.get(self.path).status_code)
                except httpx.HTTPError:
                    self.statuses.append(0)
                self._stop.wait(0.1)

    def warm_up(self) -> None:
        """The first page: gunicorn's worker imports Django only now, which takes seconds on a busy machine."""
        with httpx.Client(base_url=self.base_url, cookies={"sessionid": self.session}, timeout=60) as client:
            assert client.get(self.path).status_code == 200

    def __enter__(self) -> PagePoller:
        self._stop.clear()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)


@pytest.mark.faults  # kills a process: make test-faults
def test_two_processes_share_messages_and_presence_and_a_killed_one_leaves_no_ghost(
    worker_redis_env: dict[str, str], signal: Signal, make_member: MakeMember
) -> None:
    noor, yonas = make_member("GM0766", display_name="Noor"), make_member("GM0785", display_name="Yonas")
    senders = [make_member("GM0855", display_name=f"Afzender {n}") for n in range(20)]
    with (
        app_process("uvicorn", worker_redis_env) as (url_a, _a),
        app_process("uvicorn", worker_redis_env) as (url_b, process_b),
    ):
        on_a, on_b = Person(url_a, noor, signal.pk), Person(url_b, yonas, signal.pk)
        people = [Person(url_a, sender, signal.pk) for sender in senders]

        async def scenario() -> list[float]:
            await on_a.open()
            await on_b.open()
            # Presence counts both people, whichever process holds their socket.
            await asyncio.gather(on_a.until(lambda: on_a.presence == 2, 10), on_b.until(lambda: on_b.presence == 2, 10))
            # A client on A sends; the client on B receives it (how fast is for the benchmarks, S3 to S5).
            first = await on_a.send("Ook in Goirle: wachtlijst")
            await on_b.until(lambda: first in on_b.arrived, 10)

            # 100 messages from people on A (20 people, 5 each: within the rate limit), one at a time.
            await asyncio.gather(*(person.open() for person in people))
            latencies = []
            for number in range(100):
                person = people[number % len(people)]
                sent_at = time.perf_counter()
                client_id = await person.send(f"Bericht {number}")
                await on_b.until(lambda client_id=client_id: client_id in on_b.arrived, 10)
                latencies.append(on_b.arrived[client_id] - sent_at)
            await asyncio.gather(*(person.close() for person in people))
            await on_a.until(lambda: on_a.presence == 22, 10)  # 20 senders and the two readers
            await on_a.until(lambda: on_a.presence == 2, 10)

            # Process B dies without a goodbye: Yonas's entry runs out, and A's heartbeat notices.
            os.kill(process_b.pid, unix_signal.SIGKILL)
            await on_a.until(lambda: on_a.presence == 1, EXPIRY_SECONDS + 2 * HEARTBEAT_SECONDS + 5)
            await on_a.close()
            return latencies

        latencies = asyncio.run(scenario())
    stored = Message.objects.filter(signal=signal)
    assert stored.count() == 101
    assert len(set(stored.values_list("client_id", flat=True))) == 101
    report = {"median_ms": statistics.median(latencies) * 1000, "worst_ms": max(latencies) * 1000}
    print(f"\nDelivery latency A -> B over 100 messages: {report}")  # for information: bench/ measures it


@pytest.mark.faults  # kills a process: make test-faults
def test_after_a_redis_restart_clients_reconnect_sync_and_have_every_accepted_message_once(
    server_env: dict[str, str], signal: Signal, make_member: MakeMember
) -> None:
    sender, reader = make_member("GM0766"), make_member("GM0785")
    with private_redis() as (port, redis_process):
        env = {**server_env, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        with app_process("uvicorn", env) as (url, _server), app_process("gunicorn", env) as (web_url, _web):
            writer, watcher = Person(url, sender, signal.pk), Person(url, reader, signal.pk)
            # The signal's page, asked for all along (gunicorn, on the same Redis): it must keep serving.
            pages = PagePoller(web_url, f"/signals/{signal.pk}/", session_key(reader))

            async def scenario() -> None:
                await writer.open()
                await watcher.open()
                for text in ("een", "twee", "drie"):
                    await writer.send(text)
                await watcher.until(lambda: len(watcher.seen) == 3, 10)

                # Redis goes away under the connected clients; a message is sent at that very moment.
                redis_process.kill()
                redis_process.wait()
                await writer.send("vier, tijdens de herstart")
                # The server notices on its heartbeat and closes the sockets; clients keep trying.
                await asyncio.gather(
                    writer.until(lambda: bool(writer.closes), HEARTBEAT_SECONDS + 5),
                    watcher.until(lambda: bool(watcher.closes), HEARTBEAT_SECONDS + 5),
                )

            pages.warm_up()
            with pages:
                asyncio.run(scenario())
                down = len(pages.statuses)
                time.sleep(1)  # a few more pages while Redis is away
                assert len(pages.statuses) > down
            with private_redis(port), pages:  # the same port, empty: everything in Redis is gone

                async def after() -> None:
                    await asyncio.gather(
                        writer.until(lambda: not writer.pending and len(writer.seen) == 4, 30),
                        watcher.until(lambda: len(watcher.seen) == 4, 30),
                    )
                    await writer.close()
                    await watcher.close()

                asyncio.run(after())
    stored = list(Message.objects.filter(signal=signal).order_by("pk").values_list("pk", flat=True))
    assert len(stored) == 4
    print(f"\nThe page while Redis restarted: {len(pages.statuses)} requests, statuses {set(pages.statuses)}")
    assert set(pages.statuses) == {200}, pages.statuses  # pages served before, during and after the restart
    assert sorted(writer.seen) == sorted(watcher.seen) == stored  # each accepted message, once
    # The server closed each socket when Redis went away (the last close, 1000, is the clients' own).
    assert writer.closes[0] in (1011, 1012, 1006) and watcher.closes[0] in (1011, 1012, 1006)
