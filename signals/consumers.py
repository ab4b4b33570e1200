"""``ws/signals/<id>/``: the live discussion of one signal (CONTRACT.md, WebSocket protocol).

Thin and careful (STYLE.md, practice 6): the socket is refused before any group
is joined unless the person is signed in and may see the signal (the same
selector as the pages); each message is authorised again and saved through
``signals.discussion.message_post``, whose after-commit broadcast is what every
socket (this one too) receives. The database is the truth: ``sync`` replays
from it what a client missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
import weakref
from typing import Any

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import translation
from django.utils.translation import ngettext
from redis.exceptions import RedisError

from community import permissions
from community.models import User
from community.people import public_name
from community.presence import HEARTBEAT_SECONDS, presence
from community.ratelimit import rate_limit_hit
from community.realtime import (
    CLOSE_NOT_SIGNED_IN,
    CLOSE_TOO_BIG,
    DirectDispatch,
    frame_bytes,
    user_group,
)
from signals import discussion, selectors
from signals.models import Message, Signal
from signals.privacy import PersonalDataFound
from signals.realtime import message_payload, signal_group

logger = logging.getLogger(__name__)
MESSAGES_PER_10_SECONDS = 5
TYPING_EVERY_SECONDS = 3.0
CLOSE_NOT_YOURS = 4404
CLOSE_RESTARTING = 1012  # "service restart": Redis went away; the client reconnects and syncs
MAX_FRAME_BYTES = 64 * 1024  # uvicorn runs with --ws-max-size 65536 too; this holds for any server
PRESENCE_SETTLE_SECONDS = 0.3

# Rooms whose count this process will announce shortly (per event loop: each test has its own).
_announcing: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, set[str]] = weakref.WeakKeyDictionary()
_announcements: set[asyncio.Task[None]] = set()


class SignalConsumer(DirectDispatch):
    signal_id: int
    community_id: int
    user: User
    language: str
    joined: list[str]
    last_typing: float
    heartbeat: asyncio.Task[None] | None = None
    presence_lock: asyncio.Lock
    presence_seen: int | None = None

    async def connect(self) -> None:
        self.joined = []
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        signal = await self._visible_signal(user, int(self.scope["url_route"]["kwargs"]["pk"]))
        if signal is None:
            await self.close(code=CLOSE_NOT_YOURS)
            return
        self.user, self.signal_id, self.community_id = user, signal.pk, signal.community_id
        self.language = signal.community.language
        self.last_typing = 0.0
        for group in (signal_group(signal.pk), user_group(user.pk)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.accept()
        self.presence_lock = asyncio.Lock()
        await self._presence(enter=True)
        self.heartbeat = asyncio.create_task(self._beat())

    async def disconnect(self, code: int) -> None:
        await self._leave()

    async def _leave(self) -> None:
        """Leave the presence room and the groups, once (on ``disconnect``, or when the consumer ends otherwise)."""
        await self._leave_room()
        joined, self.joined = getattr(self, "joined", []), []
        for group in joined:
            with contextlib.suppress(RedisError, OSError):  # Redis is away: its subscriptions went with it
                await self.channel_layer.group_discard(group, self.channel_name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # A consumer can also end without ``disconnect`` (a send to a client that has just gone raises):
        # its heartbeat must not outlive it and keep a ghost present, nor its subscriptions stay behind.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._leave()

    # --- presence: "4 people here", across processes ---------------------------------------

    async def _leave_room(self) -> None:
        """Stop the heartbeat and leave the room, once. Under the lock: a refresh in flight completes
        first, so it cannot land after the leave."""
        heartbeat, self.heartbeat = self.heartbeat, None
        if heartbeat is not None:
            async with self.presence_lock:
                heartbeat.cancel()
                await self._presence(enter=False)

    async def _presence(self, *, enter: bool) -> None:
        """Enter or leave the signal's room, and tell everyone there the new count."""
        store = presence()
        room = signal_group(self.signal_id)
        if enter:
            count = await store.enter(room, self.user.pk, self.channel_name)
        else:
            count = await store.leave(room, self.user.pk, self.channel_name)
        if count is not None:
            self._announce_soon(room)

    def _announce_soon(self, room: str) -> None:
        """Tell the room its count once the comings and goings of the next moment are in, once per process.

        Each arrival used to tell everyone at once: a hundred sockets opening together made ten thousand
        events (each to each), and the messages queued behind them for seconds (docs/performance.md, S3).
        """
        pending = _announcing.setdefault(asyncio.get_running_loop(), set())
        if room in pending:
            return
        pending.add(room)
        layer = self.channel_layer

        async def announce() -> None:
            try:
                await asyncio.sleep(PRESENCE_SETTLE_SECONDS)
            finally:
                pending.discard(room)
            count = await presence().count(room)
            if count is not None:
                with contextlib.suppress(RedisError, OSError):  # a hint: the heartbeat corrects it later
                    await layer.group_send(room, {"type": "presence.changed", "count": count})

        task = asyncio.create_task(announce())
        _announcements.add(task)  # a reference until it is done: the loop keeps only a weak one
        task.add_done_callback(_announcements.discard)

    async def _beat(self) -> None:
        """Keep this socket's entry alive; pick up counts that changed without an event (a process died)."""
        room = signal_group(self.signal_id)
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            async with self.presence_lock:
                count = await presence().enter(room, self.user.pk, self.channel_name)
            if count is None:
                # Redis is away, and with it this socket's group: events are being lost. Close, so the
                # client reconnects once Redis is back and syncs what it missed from the database.
                await self.close(code=CLOSE_RESTARTING)
                return
            if count != self.presence_seen:
                await self.presence_changed({"count": count})

    # --- from the client ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if frame_bytes(text_data, bytes_data) > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if text_data is None:
            await self._error("bad_input", "Send JSON as text frames.")
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self._error("bad_json", "That was not JSON.")
            return
        try:
            await self.receive_json(content)
        except RedisError as error:  # the rate limiter's cache or the layer: Redis is away
            logger.warning("closing a socket of signal %s: %s", self.signal_id, error)
            await self.close(code=CLOSE_RESTARTING)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "message.send":
            await self._message_send(content)
        elif kind == "sync":
            await self._replay(content)
        elif kind == "typing":
            await self._typing()
        else:
            await self._error("bad_type", "Unknown message type.")

    async def _message_send(self, content: dict[str, Any]) -> None:
        body, client_id = content.get("body"), content.get("client_id")
        if not isinstance(body, str) or not body.strip():
            await self._error("empty", "Write a message first.")
            return
        if len(body) > Message.MAX_LENGTH:
            await self._error("too_long", f"A message has at most {Message.MAX_LENGTH} characters.")
            return
        try:
            parsed_id = uuid.UUID(str(client_id)) if client_id is not None else None
        except ValueError:
            await self._error("bad_input", "client_id must be a UUID.")
            return
        if not await self._allowed_now():
            await self._error("too_fast", "You are sending too fast; wait a few seconds.")
            return
        outcome = await self._post(body.replace("\x00", ""), parsed_id, content.get("confirmed_findings"))
        if outcome is None:
            await self.close(code=CLOSE_NOT_YOURS)
        elif "error" in outcome:
            await self.send_json({"type": "error", **outcome["error"]})
        elif not outcome["created"]:
            # A retry: the first message again, to this socket only (the group had it already).
            await self.send_json({"type": "message.new", "message": outcome["message"]})

    async def _replay(self, content: dict[str, Any]) -> None:  # not _sync: AsyncConsumer uses that name
        after = content.get("after", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self._error("bad_input", "after must be a message id.")
            return
        payloads = await self._since(after)
        if payloads is None:
            await self.close(code=CLOSE_NOT_YOURS)
            return
        async with self.in_turn():
            for payload in payloads:
                await self.send_json({"type": "message.new", "message": payload})

    async def _typing(self) -> None:
        now = time.monotonic()
        if now - self.last_typing < TYPING_EVERY_SECONDS:
            return  # throttled, silently: typing is a hint, never stored
        self.last_typing = now
        name = await self._name()
        await self.channel_layer.group_send(
            signal_group(self.signal_id), {"type": "signal.typing", "name": name, "sender": self.channel_name}
        )

    async def _error(self, code: str, detail: str) -> None:
        await self.send_json({"type": "error", "code": code, "detail": detail})

    # --- from the group -----------------------------------------------------------------

    async def message_new(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message.new", "message": event["message"]})

    async def message_updated(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message.updated", "message": event["message"]})

    async def signal_recognitions(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "recognitions"})

    async def signal_status(self, event: dict[str, Any]) -> None:
        await self.send_json({**event, "type": "status"})

    async def presence_changed(self, event: dict[str, Any]) -> None:
        count = self.presence_seen = event["count"]
        with translation.override(self.language):
            text = ngettext("%(count)d person here", "%(count)d people here", count) % {"count": count}
        await self.send_json({"type": "presence", "count": count, "text": text})

    async def signal_typing(self, event: dict[str, Any]) -> None:
        if event["sender"] != self.channel_name:
            await self.send_json({"type": "typing", "name": event["name"]})

    async def access_changed(self, event: dict[str, Any]) -> None:
        """Channels fixes a socket's user at connect: when membership changes, ask again."""
        if (
            event.get("community_id") == self.community_id
            and await self._visible_signal(self.user, self.signal_id, fresh_user=True) is None
        ):
            await self.close(code=CLOSE_NOT_YOURS)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_NOT_SIGNED_IN)

    # --- database work, in a thread -------------------------------------------------------

    @database_sync_to_async
    def _visible_signal(self, user: User, pk: int, fresh_user: bool = False) -> Signal | None:
        if fresh_user:
            user = User.objects.filter(pk=user.pk).first() or user
            if not user.is_active:
                return None
        try:
            return selectors.access_signal(user, pk)
        except Http404:
            return None

    @database_sync_to_async
    def _allowed_now(self) -> bool:
        return rate_limit_hit("ws.message", str(self.user.pk), limit=MESSAGES_PER_10_SECONDS, period=10).allowed

    @database_sync_to_async
    def _post(self, body: str, client_id: uuid.UUID | None, confirmed: Any) -> dict[str, Any] | None:
        user = User.objects.filter(pk=self.user.pk, is_active=True).first()
        if user is None:
            return None
        try:
            signal = selectors.access_signal(user, self.signal_id, may=permissions.may_discuss)
        except (Http404, PermissionDenied):
            return None
        keys = frozenset(k for k in confirmed if isinstance(k, str)) if isinstance(confirmed, list) else frozenset()
        try:
            with translation.override(user.preferred_language):
                message, created = discussion.message_post(
                    actor=user, signal=signal, body=body, client_id=client_id, confirmed_findings=keys
                )
        except PersonalDataFound as found:
            return {
                "error": {
                    "code": "personal_data",
                    "detail": found.messages[0],
                    "findings": [finding.as_dict() for finding in found.findings],
                }
            }
        except ValidationError as error:
            return {"error": {"code": error.code or "invalid", "detail": error.messages[0]}}
        message.signal = signal
        return {"created": created, "message": message_payload(message)}

    @database_sync_to_async
    def _since(self, after: int) -> list[dict[str, Any]] | None:
        try:
            signal = selectors.access_signal(self.user, self.signal_id)
        except Http404:
            return None
        return [message_payload(view.message) for view in selectors.discussion(signal, after=after)]

    @database_sync_to_async
    def _name(self) -> str:
        signal = Signal.objects.select_related("community__region").get(pk=self.signal_id)
        return public_name(self.user, signal.community)
