"""The socket server is killed (SIGKILL, no goodbye) under 200 connected clients and started again on the
same port: every client reconnects and, by syncing after the last message id it saw, gets what was
posted while it was away, each message once (CONTRACT.md, WebSocket protocol; static/js/discussion.js)."""

from __future__ import annotations

import asyncio
import signal as unix_signal
import time

import pytest

from signals.discussion import message_post
from signals.models import Message
from tests.faults.conftest import Stack, discussion
from tests.servers import _child, _wait_for_port, command_for, free_port
from tests.signals.test_live_processes import Person

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

CLIENTS = 200
PEOPLE = 20  # ten tabs each
WHILE_AWAY = 5


def test_200_clients_reconnect_after_the_socket_server_is_killed_and_get_what_they_missed(stack: Stack) -> None:
    signal, people = discussion(PEOPLE)
    sender = people[0]

    def post(body: str) -> int:
        return message_post(actor=sender, signal=signal, body=body)[0].pk

    port = free_port()
    command = command_for("uvicorn", port)
    with _child(command, stack.env) as (server, log):
        _wait_for_port(port, server, log, "uvicorn")
        url = f"http://127.0.0.1:{port}"
        tabs = [Person(url, person, signal.pk) for person in people]
        clients = tabs + [tab_of(tabs[n % PEOPLE]) for n in range(PEOPLE, CLIENTS)]

        async def before() -> None:
            # Each client connects (again, with back-off, if the server is too busy to answer in time) and
            # syncs: the first message reaches it live or by the sync.
            first = await asyncio.to_thread(post, "Voor de herstart")
            await asyncio.gather(*(c.until(lambda c=c: first in c.seen, 90) for c in clients))
            server.send_signal(unix_signal.SIGKILL)
            await asyncio.to_thread(server.wait)
            # Each client sees its socket drop (the reader records the close).
            await asyncio.gather(*(c.until(lambda c=c: bool(c.closes), 10) for c in clients))

        asyncio.run(before())
        missed = [post(f"Terwijl de server weg was {n}") for n in range(WHILE_AWAY)]

        with _child(command, stack.env) as (restarted, log_again):
            started = time.monotonic()
            _wait_for_port(port, restarted, log_again, "uvicorn, restarted")
            listening = time.monotonic()

            async def after() -> float:
                await asyncio.gather(*(c.until(lambda c=c: set(missed) <= set(c.seen), 90) for c in clients))
                synced = time.monotonic()
                await asyncio.gather(*(client.close() for client in clients))
                return synced

            synced = asyncio.run(after())
            assert restarted.poll() is None

    stored = list(Message.objects.filter(signal=signal).order_by("pk").values_list("pk", flat=True))
    figures = {
        "clients": len(clients),
        "restart to listening s": round(listening - started, 2),
        "listening to all synced s": round(synced - listening, 2),
    }
    print(f"\nSocket server killed under {CLIENTS} clients: {figures}")
    assert len(stored) == 1 + WHILE_AWAY
    for client in clients:
        assert client.seen == stored  # every message, once, in order
        assert 1006 in client.closes  # the kill: no close frame (a busy server may also have said 1012 before)


def tab_of(person: Person) -> Person:
    """Another tab of the same person: the same session, a socket of its own."""
    tab = Person.__new__(Person)
    tab.__dict__.update(person.__dict__, seen=[], pending={}, arrived={}, closes=[], presences=[])
    return tab
