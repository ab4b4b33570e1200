"""Events from the community domain to open sockets. The only place here that calls ``group_send``."""

from __future__ import annotations

import asyncio
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


class DirectDispatch(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Handlers called straight from the event loop.

    Channels (4.2 and later) first hops to the one thread that runs all synchronous code, to close stale
    database connections, before every event a consumer handles: each message fanned out to each socket
    waited behind whatever database work that thread was doing, and a few hundred sockets on one signal
    fell seconds behind (docs/performance.md, S3). Our consumers touch the database only through
    ``database_sync_to_async``, which closes stale connections itself, so the hop is only cost.
    """

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def send_json(self, content: Any, close: bool = False) -> None:
        """An event to the client; a client that takes none for ``SEND_TIMEOUT_SECONDS`` is stalled and is let go.

        While a send waits on a client that does not read, every event for this socket queues in this
        process's memory (the channel layer's queue per socket has no bound), and uvicorn's keep-alive ping
        notices only after 40 s. Ending the consumer leaves its groups; uvicorn then closes the connection
        (aborting it after its close timeout when even the close frame cannot be written).
        """
        try:
            async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
                await super().send_json(content, close=close)
        except TimeoutError:
            raise StopConsumer from None


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
