"""``ws/notifications/``: the signed-in person's own notifications and unread count, in every open tab.

Nothing is received but pings: the page marks notifications read over HTTP
(the same permission checks as everywhere), and every tab hears the new count.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from channels.db import database_sync_to_async
from django.utils import translation
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from community.models import User
from community.realtime import CLOSE_NOT_SIGNED_IN, CLOSE_TOO_BIG, DirectDispatch, frame_bytes, user_group
from notifications.realtime import notification_group, unread_counts

MAX_FRAME_BYTES = 4 * 1024  # nothing a client sends here needs more


class NotificationConsumer(DirectDispatch):
    joined: list[str]
    user: User

    async def connect(self) -> None:
        self.joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.user = user
        for group in (notification_group(user.pk), user_group(user.pk)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.accept()
        await self.send_json(self._with_text({"type": "notification.unread", "unread": await self._unread()}))

    async def disconnect(self, code: int) -> None:
        joined, self.joined = getattr(self, "joined", []), []
        for group in joined:
            with contextlib.suppress(RedisError, OSError):
                await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if frame_bytes(text_data, bytes_data) > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        if isinstance(content, dict) and content.get("type") == "ping":
            # A tab that was asleep asks for the count again.
            await self.send_json(self._with_text({"type": "notification.unread", "unread": await self._unread()}))
            return
        await self.send_json({"type": "error", "code": "bad_type", "detail": "This socket takes only pings."})

    # --- from the groups ---------------------------------------------------------------

    async def notification_new(self, event: dict[str, Any]) -> None:
        await self.send_json(self._with_text(event))

    async def notification_unread(self, event: dict[str, Any]) -> None:
        await self.send_json(self._with_text(event))

    def _with_text(self, event: dict[str, Any]) -> dict[str, Any]:
        """The count as the header words it, in the person's language (the plural forms are the server's)."""
        with translation.override(self.user.preferred_language):
            text = ngettext("%(counter)s unread", "%(counter)s unread", event["unread"]) % {"counter": event["unread"]}
        return {**event, "unread_text": text}

    async def access_changed(self, event: dict[str, Any]) -> None:
        """Membership changes do not concern a person's own notifications; deactivation does."""
        if not await self._active():
            await self.close(code=CLOSE_NOT_SIGNED_IN)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    @database_sync_to_async
    def _unread(self) -> int:
        return unread_counts([self.user.pk]).get(self.user.pk, 0)

    @database_sync_to_async
    def _active(self) -> bool:
        return User.objects.filter(pk=self.user.pk, is_active=True).exists()
