"""The notifications app's part of a person's data: its export section, its eraser, its retention purge.

Registered in ``NotificationsConfig.ready()`` with ``community.personal_data``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q

from community.models import User
from community.personal_data import iso, personal_data_register, retention_register
from notifications.models import MailStatus, Notification, Preference


def _notifications(user: User) -> list[dict[str, Any]]:
    rows = Notification.objects.filter(recipient=user).select_related("community").order_by("created_at", "pk")
    return [
        {
            "kind": n.kind,
            "community": n.community.name,
            "title": n.title,
            "by": n.actor_label,
            "link": n.url,
            "detail": n.detail,
            "events": n.count,
            "created": iso(n.created_at),
            "read": iso(n.read_at),
            "emailed": iso(n.emailed_at),
        }
        for n in rows
    ]


def _preferences(user: User) -> dict[str, Any]:
    status = MailStatus.objects.filter(user=user).first()
    return {
        "email": {p.kind: p.frequency for p in Preference.objects.filter(user=user).order_by("kind")},
        "mail_switched_off": iso(status.disabled_at) if status is not None else None,
    }


def notifications_data_erase(user: User) -> None:
    Notification.objects.filter(recipient=user).delete()
    Preference.objects.filter(user=user).delete()
    MailStatus.objects.filter(user=user).delete()
    # Other people's notifications name the person as they appeared then; from now on "someone".
    Notification.objects.filter(actor=user).update(actor_label="")


def notifications_purge(now: datetime.datetime) -> int:
    """Read notifications after ``RETENTION_READ_NOTIFICATIONS_DAYS``, unread ones after
    ``RETENTION_UNREAD_NOTIFICATIONS_DAYS`` (counted from their last event)."""
    read_before = now - datetime.timedelta(days=settings.RETENTION_READ_NOTIFICATIONS_DAYS)
    unread_before = now - datetime.timedelta(days=settings.RETENTION_UNREAD_NOTIFICATIONS_DAYS)
    deleted, _by_model = Notification.objects.filter(
        Q(read_at__lt=read_before) | Q(read_at=None, updated_at__lt=unread_before)
    ).delete()
    return deleted


def notifications_sections_register() -> None:
    personal_data_register(name="notifications", exporter=_notifications, eraser=notifications_data_erase)
    personal_data_register(name="notification_settings", exporter=_preferences, eraser=lambda user: None)
    retention_register(name="notifications", purge=notifications_purge)
