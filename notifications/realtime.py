"""Notifications to the recipient's open tabs. The only place in ``notifications`` that calls ``group_send``.

Each person's notification sockets share a group of their own (not the
``user.<id>`` group of ``community.realtime``: every socket of a person is in
that one, and only these handle notification events).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import translation

from notifications.models import Notification
from notifications.texts import text_of


def notification_group(user_id: int) -> str:
    return f"notifications.{user_id}"


def notification_payload(notification: Notification, *, html: bool = True) -> dict[str, Any]:
    """The CONTRACT.md ``notification`` object, in the active language."""
    payload: dict[str, Any] = {
        "id": notification.pk,
        "kind": notification.kind,
        "text": text_of(notification),
        "title": notification.title,
        "url": notification.url,
        "actor": notification.actor_label,
        "count": notification.count,
        "created": notification.created_at.isoformat(),
        "updated": notification.updated_at.isoformat(),
        "read": notification.read_at is not None,
    }
    if html:
        # Without a request there is no CSRF token, so no "mark read" form: the link reads it, as does "mark all".
        payload["html"] = render_to_string("notifications/_item.html", {"notification": notification, "live": True})
    return payload


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Notification.objects.filter(recipient_id__in=list(user_ids), read_at__isnull=True)
        .values("recipient_id")
        .annotate(unread=Count("pk"))
        .values_list("recipient_id", "unread")
    )
    return dict(rows)


def _send_all(events: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None or not events:
        return

    async def send() -> None:
        await asyncio.gather(*(layer.group_send(group, event) for group, event in events))

    async_to_sync(send)()


def pushed_after_commit(notification_ids: list[int]) -> None:
    """After commit: each notification, in its recipient's language, with their unread count (two queries)."""
    if not notification_ids:
        return

    def push() -> None:
        notifications = list(
            Notification.objects.filter(pk__in=notification_ids).select_related("recipient", "community").order_by("pk")
        )
        counts = unread_counts({n.recipient_id for n in notifications})
        events = []
        for notification in notifications:
            with translation.override(notification.recipient.preferred_language):
                payload = notification_payload(notification)
            events.append(
                (
                    notification_group(notification.recipient_id),
                    {
                        "type": "notification.new",
                        "notification": payload,
                        "unread": counts.get(notification.recipient_id, 0),
                    },
                )
            )
        _send_all(events)

    # robust: the notifications are stored; a channel layer that is down costs only the live update.
    transaction.on_commit(push, robust=True)


def unread_after_commit(user_id: int) -> None:
    """After commit: the person's unread count to every tab (after reading in one of them)."""

    def push() -> None:
        count = unread_counts([user_id]).get(user_id, 0)
        _send_all([(notification_group(user_id), {"type": "notification.unread", "unread": count})])

    transaction.on_commit(push, robust=True)
