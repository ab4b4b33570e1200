"""A socket that never reads, on a busy discussion: the socket server's memory stays bounded, the server
closes that socket, and a reading client beside it gets every message meanwhile.

Posting thousands of messages through ``message_post`` takes minutes, so one real message is posted and
its ``message.new`` event (the fragment rendered by the server, ~9 KB) is then published again under new
ids, as ``signals.realtime`` publishes it, straight to the channel layer: to the socket server this is
the same traffic as a busy discussion.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from channels.layers import get_channel_layer
from websockets.asyncio.client import connect

from signals.discussion import message_post
from signals.realtime import message_payload, signal_group
from tests.factories import session_key
from tests.faults.conftest import Stack, discussion
from tests.servers import app_process

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

EVENTS = 6000
BODY = "Ook bij ons staan gezinnen maanden op de wachtlijst voor een passende woning. " * 50
# The second flood is ~55 MB. Held for the stalled socket until a send timed out, as it was before the consumer
# bounded what waits for one client (community.realtime.Outbox), RSS grew 35-48 MB; now it is at most
# OUTBOX_FRAMES frames (~1 MB), and the rest is the reader's backlog and the allocator's noise.
GROWTH_LIMIT_MB = 15
# Events the flood runs ahead of the reading client at most: what the server holds for that client stays ~3 MB
# however busy the machine, so the growth measured is the stalled socket's.
READER_LAG = 300
# After the stalled socket opened: its outbox fills within the flood's first second, the consumer ends and
# uvicorn closes the connection (2.7 s measured); its keep-alive (a ping every 20 s, 20 s for the answer)
# would be the last resort.
CLOSED_WITHIN_SECONDS = 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def never_reading_socket(url: str, path: str, cookie: str) -> socket.socket:
    """A WebSocket handshake over a raw TCP socket with a tiny receive buffer, which then never reads:
    the server's frames pile up on its side, as with a frozen or hostile client."""
    host, port = url.removeprefix("http://").split(":")
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect((host, int(port)))
    raw.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {url}\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += raw.recv(1)  # byte by byte: nothing after the headers is read
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return raw


def closed_by_server(raw: socket.socket, within: float) -> bool:
    """Read what is left: the server has closed the socket if the stream ends (or is reset) in time."""
    deadline = time.monotonic() + within
    try:
        while (left := deadline - time.monotonic()) > 0:
            raw.settimeout(left)
            if not raw.recv(65536):
                return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        pass
    return False


def test_a_socket_that_never_reads_is_closed_and_costs_bounded_memory(stack: Stack) -> None:
    signal, (sender, stalled, reading) = discussion(3)
    path = f"/ws/signals/{signal.pk}/"
    reading_cookie, stalled_cookie = f"sessionid={session_key(reading)}", f"sessionid={session_key(stalled)}"
    with app_process("uvicorn", stack.env) as (url, server):
        received: list[int] = []

        async def read(client: Any) -> None:
            async for raw in client:
                event = json.loads(raw)
                if event["type"] == "message.new":
                    received.append(event["message"]["id"])

        async def scenario() -> dict[str, Any]:
            async with connect(
                url.replace("http://", "ws://") + path, origin=url, additional_headers={"Cookie": reading_cookie}
            ) as client:
                reader = asyncio.create_task(read(client))
                first, _ = await asyncio.to_thread(message_post, actor=sender, signal=signal, body=BODY)
                payload = await asyncio.to_thread(message_payload, first)
                while not received:
                    await asyncio.sleep(0.05)
                layer = get_channel_layer()

                async def flood(first_id: int) -> None:
                    for number in range(first_id, first_id + EVENTS):
                        event = {"type": "message.new", "message": {**payload, "id": number}}
                        await layer.group_send(signal_group(signal.pk), event)
                        while number - received[-1] > READER_LAG:  # the reader keeps up: what waits for it is small
                            await asyncio.sleep(0.002)

                # The same traffic first with the reader alone: the server's memory settles at what it takes.
                await flood(first.pk + 1)
                while len(received) < EVENTS + 1:
                    await asyncio.sleep(0.05)
                raw = never_reading_socket(url, path, stalled_cookie)
                opened = time.monotonic()
                await asyncio.sleep(0.5)  # the stalled socket has joined the group
                before = peak = rss_mb(server.pid)
                started = time.monotonic()
                flooding = asyncio.create_task(flood(first.pk + EVENTS + 1))
                while len(received) < 2 * EVENTS + 1 and time.monotonic() - started < 60:
                    await asyncio.sleep(0.05)
                    peak = max(peak, rss_mb(server.pid))
                await flooding
                delivered = time.monotonic() - started
                left = CLOSED_WITHIN_SECONDS - (time.monotonic() - opened)
                closed = await asyncio.to_thread(closed_by_server, raw, max(left, 0.1))
                closed_after = time.monotonic() - opened
                raw.close()
                after = rss_mb(server.pid)
                reader.cancel()
                return {
                    "rss_before_mb": round(before, 1),
                    "rss_peak_mb": round(peak, 1),
                    "rss_after_mb": round(after, 1),
                    "delivered_s": round(delivered, 1),
                    "closed": closed,
                    "closed_after_s": round(closed_after, 1),
                }

        figures = asyncio.run(scenario())
        assert server.poll() is None
    print(f"\nA socket that never reads, {EVENTS} events of ~9 KB: {figures}; the reader got {len(received)}")
    assert len(received) == len(set(received)) == 2 * EVENTS + 1  # every message, once
    assert figures["rss_peak_mb"] - figures["rss_before_mb"] < GROWTH_LIMIT_MB
    assert figures["closed"]
