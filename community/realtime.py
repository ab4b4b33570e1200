"""Events from the community domain to open sockets. The only place here that calls ``group_send``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import async_to_sync
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import transaction

# Close codes every socket of ours uses (CONTRACT.md): signed out or never signed in, and a frame too big.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_TOO_BIG = 1009  # RFC 6455: "message too big"
# A browser that is merely slow takes a frame far sooner; one that takes none for this long is frozen or hostile.
SEND_TIMEOUT_SECONDS = 5.0
# Frames waiting for one client at most: ten seconds of the busiest discussion. A client further behind than
# this is let go; it reconnects and resyncs (CONTRACT.md), which costs it less than catching up would.
OUTBOX_FRAMES = 100


class Outbox:
    """The frames on their way to one client, sent in order by a task of their own, at most ``OUTBOX_FRAMES``.

    Without it a handler waits while a client does not read, and every event for that socket queues
    meanwhile in the channel layer's queue, which has no bound: a frozen client on a busy discussion held
    tens of megabytes until a timeout noticed it (tests/faults/test_slow_reader.py). With it the handler
    never waits; a client that falls ``OUTBOX_FRAMES`` behind, or takes no frame for
    ``SEND_TIMEOUT_SECONDS``, is stalled, and the next frame for it ends the consumer.
    """

    def __init__(self, send: Any) -> None:
        self.send = send
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue(OUTBOX_FRAMES)
        self.stalled = False
        self.pump: asyncio.Task[None] | None = None
        # A burst the client asked for (a replay) waits for room rather than overflowing: ``DirectDispatch.in_turn``.
        self.patient = False

    async def put(self, message: dict[str, Any]) -> None:
        if self.stalled:
            raise StopConsumer
        if self.pump is None:
            self.pump = asyncio.create_task(self._pump())
        try:
            if self.patient:
                async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                    await self.frames.put(message)
            else:
                self.frames.put_nowait(message)
        except (asyncio.QueueFull, TimeoutError):
            self.stalled = True
            raise StopConsumer from None

    async def _pump(self) -> None:
        while True:
            message = await self.frames.get()
            try:
                async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                    await self.send(message)
            except (TimeoutError, OSError):  # stalled, or gone (uvicorn raises ClientDisconnected, an OSError)
                self.stalled = True
                return
            except Exception:
                self.stalled = True
                raise  # from ``close``, where the consumer ends
            finally:
                self.frames.task_done()

    async def close(self) -> None:
        """The consumer has ended: what it sent last (a close frame, often) still goes out, unless the client
        is stalled; then the server closes the connection."""
        if self.pump is None:
            return
        if not self.stalled:
            drained = asyncio.ensure_future(self.frames.join())
            await asyncio.wait({drained, self.pump}, timeout=SEND_TIMEOUT_SECONDS, return_when="FIRST_COMPLETED")
            drained.cancel()
        self.pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.pump


class DirectDispatch(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Handlers called straight from the event loop, and frames sent through an ``Outbox``.

    Channels (4.2 and later) first hops to the one thread that runs all synchronous code, to close stale
    database connections, before every event a consumer handles: each message fanned out to each socket
    waited behind whatever database work that thread was doing, and a few hundred sockets on one signal
    fell seconds behind (docs/performance.md, S3). Our consumers touch the database only through
    ``database_sync_to_async``, which closes stale connections itself, so the hop is only cost.
    """

    outbox: Outbox

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.outbox = Outbox(send)
        try:
            await super().__call__(scope, receive, self.outbox.put)
        finally:
            await self.outbox.close()

    @contextlib.asynccontextmanager
    async def in_turn(self) -> AsyncIterator[None]:
        """Frames sent meanwhile wait for room in the outbox: for a burst the client itself asked for, such as a
        replay of a whole discussion, which may be longer than the outbox. Events from the groups wait
        meanwhile in the channel layer, for ``SEND_TIMEOUT_SECONDS`` at most."""
        self.outbox.patient = True
        try:
            yield
        finally:
            self.outbox.patient = False

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)


def frame_bytes(text_data: str | None, bytes_data: bytes | None) -> int:
    """The size of a received WebSocket frame, text or binary."""
    return len(text_data.encode()) if text_data is not None else len(bytes_data or b"")


def user_group(user_id: int) -> str:
    """Every socket of one person joins this group."""
    return f"user.{user_id}"


def access_changed(*, user_id: int, community_id: int) -> None:
    """Tell the person's open sockets that their access to a community changed.

    Sent after commit, when a membership is removed or its role changes (or
    the account is deactivated). Channels fixes a socket's user when it
    connects, so consumers listen for ``access.changed`` and re-check, or
    close, the sockets that belong to that community.
    """

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(
                user_group(user_id), {"type": "access.changed", "community_id": community_id}
            )

    # robust: the change is committed; a channel layer that is down must not turn it into an error.
    transaction.on_commit(send, robust=True)


def session_ended(*, user_id: int) -> None:
    """Tell the person's sockets they signed out (in any tab); they close."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "session.ended"})

    transaction.on_commit(send, robust=True)
