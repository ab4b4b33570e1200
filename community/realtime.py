"""Events from the community domain to open sockets. The only place here that calls ``group_send``."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Close codes every socket of ours uses (CONTRACT.md): signed out or never signed in, and a frame too big.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_TOO_BIG = 1009  # RFC 6455: "message too big"


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
