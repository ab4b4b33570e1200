"""The WebSocket load generator: many sockets in one asyncio process, a plan on standard input, figures
as one JSON line on standard output. ``python -m bench.wsclient < plan.json``

The sockets speak the CONTRACT.md protocol (``message.send``, ``sync``, ``message.new``), so the same
client measures the product's uvicorn and the bare ``websockets`` server (bench.bareserver).

Each message's ``client_id`` carries when it was sent (and a tag of this run), so every socket that
receives it knows its latency without asking anyone: the senders are sockets of this process, on the
same clock. Senders take turns among a signal's sockets, so no person sends faster than the product's
flood limit allows (5 per 10 s).

The plan (JSON):
- ``url``: ``ws://127.0.0.1:PORT/ws/signals/{signal}/``; ``origin``: the Origin header to send.
- ``sockets``: ``[[signal, cookie], …]``, one socket each (``cookie`` may be empty for the bare server).
- ``rates``: ``{signal: messages per second}`` this process sends to each; ``start``: the wall-clock time to
  start sending (several client processes start together); ``duration``: seconds of sending;
  ``settle``: seconds to wait for late deliveries afterwards.
- ``drop`` (optional): ``{"after": s, "spread": s}``: ``after`` seconds into the sending, close every
  socket at once, then reconnect them spread evenly over ``spread`` seconds; each new socket asks for
  what it missed (``sync``) and the time until the answer is complete is its resync time.
- ``rss_pid`` (optional): sample that process's resident memory every second (S4's drift).
- ``connect_rate``: sockets opened per second at the start (a handshake storm is not the measure).
- ``post`` (optional): ``{"url": "http://…/api/v1/signals/{signal}/messages/", "tokens": […]}``: send
  the messages through the JSON API instead of a socket (S5); the latency then runs from the request.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

TAG = 0xB3  # the first byte of every client_id this client makes: other messages are not ours
PING = json.dumps({"type": "bench.ping"})  # answered with an error, after everything sent before it


def client_id(sent_at: float, sequence: int) -> str:
    """128 bits: tag (8), send time in microseconds (64), sequence (56)."""
    value = (TAG << 120) | (int(sent_at * 1e6) << 56) | (sequence & ((1 << 56) - 1))
    return str(uuid.UUID(int=value))


def sent_at(identifier: str | None) -> float | None:
    """When the message with this client_id was sent, or None when it is not one of ours."""
    if not identifier:
        return None
    value = uuid.UUID(identifier).int
    if value >> 120 != TAG:
        return None
    return ((value >> 56) & ((1 << 64) - 1)) / 1e6


@dataclass
class Socket:
    number: int
    signal: int
    cookie: str
    connection: ClientConnection | None = None
    seen: set[str] = field(default_factory=set)  # client_ids received, replays included
    last_id: int = 0
    resync_started: float | None = None
    resync_seconds: float | None = None
    unexpected: int = 0  # message.new that no sender of ours sent (a rolled-back post, say)


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)  # seconds, live deliveries only
    failed_handshakes: int = 0
    handshake_seconds: list[float] = field(default_factory=list)
    closed_by_server: int = 0
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rss_kib: list[tuple[float, int]] = field(default_factory=list)


class Client:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.plan = plan
        self.sockets = [Socket(number, signal, cookie) for number, (signal, cookie) in enumerate(plan["sockets"])]
        self.by_signal: dict[int, list[Socket]] = defaultdict(list)
        for socket in self.sockets:
            self.by_signal[socket.signal].append(socket)
        self.figures = Figures()
        self.sent: dict[int, list[tuple[float, str]]] = defaultdict(list)  # per signal: (sent at, client_id)
        # Per signal, per message: how many of this process's sockets received it (the caller adds up
        # over processes: a message any socket received was accepted, and every socket should have it).
        self.deliveries: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.sequence = 0
        self.dropping = False

    # --- sockets -----------------------------------------------------------------------

    async def open(self, socket: Socket) -> bool:
        headers = {"Cookie": socket.cookie} if socket.cookie else {}
        started = time.monotonic()
        try:
            socket.connection = await connect(
                self.plan["url"].format(signal=socket.signal),
                origin=self.plan.get("origin"),
                additional_headers=headers,
                open_timeout=30,
                max_size=2**20,
                ping_interval=None,  # the product's own heartbeat is what keeps it alive
            )
        except (OSError, WebSocketException, TimeoutError) as error:
            self.figures.failed_handshakes += 1
            self.figures.errors[f"handshake: {str(error)[:80] or type(error).__name__}"] += 1
            return False
        self.figures.handshake_seconds.append(time.monotonic() - started)
        asyncio.get_running_loop().create_task(self.read(socket, socket.connection))
        return True

    async def read(self, socket: Socket, connection: ClientConnection) -> None:
        try:
            async for frame in connection:
                self.received(socket, json.loads(frame))
        except WebSocketException:
            pass
        if connection is socket.connection and not self.dropping:
            self.figures.closed_by_server += 1

    def received(self, socket: Socket, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message.new":
            message = event["message"]
            identifier = message.get("client_id")
            when = sent_at(identifier)
            if when is None:
                socket.unexpected += 1
                return
            socket.last_id = max(socket.last_id, int(message["id"]))
            if identifier in socket.seen:
                return
            socket.seen.add(identifier)
            self.deliveries[socket.signal][identifier] += 1
            if socket.resync_started is None or socket.resync_seconds is not None:
                self.figures.latencies.append(time.time() - when)
        elif kind == "error":
            code = event.get("code", "?")
            if code == "bad_type" and socket.resync_started is not None and socket.resync_seconds is None:
                socket.resync_seconds = time.monotonic() - socket.resync_started  # the ping after the sync
            else:
                self.figures.errors[code] += 1

    async def connect_all(self) -> None:
        rate = self.plan.get("connect_rate", 200)
        tasks = []
        for index, socket in enumerate(self.sockets):
            tasks.append(asyncio.create_task(self.open(socket)))
            if index % 10 == 9:
                await asyncio.sleep(10 / rate)
        await asyncio.gather(*tasks)

    # --- sending -------------------------------------------------------------------------

    async def post_loop(self, signal: int, start: float, end: float, rate: float) -> None:
        """Messages through the JSON API, each person's token in turn; a request in flight does not
        hold up the next one."""
        post = self.plan["post"]
        url, tokens = post["url"].format(signal=signal), post["tokens"]
        requests: list[asyncio.Task[None]] = []
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=32)) as http:

            async def one(token: str, identifier: str, now: float) -> None:
                try:
                    answer = await http.post(
                        url,
                        json={"body": f"Meting {self.sequence}.", "client_id": identifier},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.HTTPError as error:
                    self.figures.errors[type(error).__name__] += 1
                    return
                if answer.status_code == 201:
                    self.sent[signal].append((now, identifier))
                else:
                    self.figures.errors[f"http {answer.status_code}"] += 1

            due, turn = start, 0
            while due < end:
                await asyncio.sleep(max(0.0, due - time.time()))
                self.sequence += 1
                now = time.time()
                identifier = client_id(now, self.sequence)
                requests.append(asyncio.create_task(one(tokens[turn % len(tokens)], identifier, now)))
                turn += 1
                due += 1 / rate
            await asyncio.gather(*requests)

    async def send_loop(self, signal: int, start: float, end: float, rate: float) -> None:
        if self.plan.get("post"):
            await self.post_loop(signal, start, end, rate)
            return
        interval = 1 / rate
        turn = 0
        due = start
        while due < end:
            await asyncio.sleep(max(0.0, due - time.time()))
            sockets = [  # connected, and not in the middle of catching up
                s
                for s in self.by_signal[signal]
                if s.connection is not None and (s.resync_started is None or s.resync_seconds is not None)
            ]
            if sockets:
                sender = sockets[turn % len(sockets)]
                turn += 1
                self.sequence += 1
                now = time.time()
                identifier = client_id(now, self.sequence)
                body = f"Meting {self.sequence}."
                frame = json.dumps({"type": "message.send", "body": body, "client_id": identifier})
                try:
                    await sender.connection.send(frame)  # type: ignore[union-attr]
                    self.sent[signal].append((now, identifier))
                except WebSocketException:
                    pass
            due += interval

    async def drop_and_return(self, at: float, spread: float) -> None:
        await asyncio.sleep(max(0.0, at - time.time()))
        self.dropping = True
        for socket in self.sockets:
            if socket.connection is not None:
                connection, socket.connection = socket.connection, None
                await connection.close()
        self.dropping = False
        step = spread / max(1, len(self.sockets))
        begun = time.monotonic()
        tasks = []
        for index, socket in enumerate(self.sockets):
            await asyncio.sleep(max(0.0, begun + index * step - time.monotonic()))
            tasks.append(asyncio.create_task(self.rejoin(socket)))
        await asyncio.gather(*tasks)

    async def rejoin(self, socket: Socket) -> None:
        socket.resync_started = time.monotonic()
        if not await self.open(socket):
            return
        await socket.connection.send(json.dumps({"type": "sync", "after": socket.last_id}))  # type: ignore[union-attr]
        await socket.connection.send(PING)  # type: ignore[union-attr]

    async def sample_memory(self, pid: int, until: float) -> None:
        status = Path(f"/proc/{pid}/status")
        while time.time() < until:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    self.figures.rss_kib.append((time.time(), int(line.split()[1])))
            await asyncio.sleep(1)

    # --- the run -------------------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        plan = self.plan
        await self.connect_all()
        print(json.dumps({"connected": sum(s.connection is not None for s in self.sockets)}), flush=True)
        start = max(plan["start"], time.time() + 0.5)
        end = start + plan["duration"]
        background = [
            asyncio.create_task(self.send_loop(signal, start, end, plan["rates"][str(signal)]))
            for signal in self.by_signal
            if plan["rates"].get(str(signal))
        ]
        if plan.get("rss_pid"):
            background.append(asyncio.create_task(self.sample_memory(plan["rss_pid"], end)))
        if plan.get("drop"):
            drop = plan["drop"]
            background.append(asyncio.create_task(self.drop_and_return(start + drop["after"], drop["spread"])))
        await asyncio.gather(*background)
        await asyncio.sleep(plan.get("settle", 2))
        result = self.result(start, end)
        for socket in self.sockets:
            if socket.connection is not None:
                await socket.connection.close()
        return result

    def result(self, start: float, end: float) -> dict[str, Any]:
        latencies = sorted(self.figures.latencies)
        # Several client processes: the caller takes the percentiles over all of them.
        raw = [round(latency * 1e6) for latency in latencies] if self.plan.get("raw") else []
        resyncs = [s.resync_seconds for s in self.sockets if s.resync_seconds is not None]
        return {
            "sockets": len(self.sockets),
            "sent": sum(len(sent) for sent in self.sent.values()),
            "signals": {
                str(signal): {"sockets": len(sockets), "deliveries": self.deliveries[signal]}
                for signal, sockets in self.by_signal.items()
            },
            "unexpected": sum(s.unexpected for s in self.sockets),
            "latency_p50_ms": _percentile(latencies, 50) * 1000,
            "latency_p95_ms": _percentile(latencies, 95) * 1000,
            "latency_p99_ms": _percentile(latencies, 99) * 1000,
            "latencies": len(latencies),
            "latencies_us": raw,
            "failed_handshakes": self.figures.failed_handshakes,
            "handshake_p95_ms": _percentile(sorted(self.figures.handshake_seconds), 95) * 1000,
            "closed_by_server": self.figures.closed_by_server,
            "errors": dict(self.figures.errors),
            "resynced": len(resyncs),
            "not_resynced": sum(1 for s in self.sockets if s.resync_started is not None and s.resync_seconds is None),
            "resync_p50_s": statistics.median(resyncs) if resyncs else None,
            "resync_max_s": max(resyncs) if resyncs else None,
            "rss_kib": self.figures.rss_kib,
            "sending_seconds": end - start,
        }


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def main() -> None:
    plan = json.load(sys.stdin)
    print(json.dumps(asyncio.run(Client(plan).run())), flush=True)


if __name__ == "__main__":
    main()
