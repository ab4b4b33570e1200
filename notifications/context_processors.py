from __future__ import annotations

from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from community.models import User
from notifications.models import Notification


def bell(request: HttpRequest) -> dict[str, Any]:
    """The header's unread count and whether mail bounced into being off (one query, asked only
    when a page shows them)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}

    def header() -> dict[str, Any]:
        unread = (
            Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True)
            .values("recipient")
            .annotate(count=Count("pk"))
            .values("count")
        )
        row = (
            User.objects.filter(pk=user.pk)
            .annotate(
                unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
                mail_off_at=F("mail_status__disabled_at"),
                notice_seen_at=F("mail_status__notice_seen_at"),
            )
            .values("unread", "mail_off_at", "notice_seen_at")
            .first()
        ) or {"unread": 0, "mail_off_at": None, "notice_seen_at": None}
        return {
            "unread": row["unread"],
            "mail_off": row["mail_off_at"] is not None,
            "mail_notice": row["mail_off_at"] is not None and row["notice_seen_at"] is None,
        }

    return {"bell": SimpleLazyObject(header)}
