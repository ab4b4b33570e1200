"""The signals app's part of a person's data: its sections of the export, its eraser, its retention purge.

Registered in ``SignalsConfig.ready()`` with ``community.personal_data``. What a
person contributed (signals, recognitions, messages, answers to check-backs,
flags) is kept when the account is erased: it belongs to the community's
record and is shown as "a former member" from then on. What only serves the
person (follows, unanswered check-back questions) goes, and an @mention of
their name in other people's messages becomes "@a former member".
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import translation
from django.utils.translation import gettext as _

from community.models import User
from community.personal_data import iso, personal_data_register, retention_register
from signals.models import (
    CheckBackAnswer,
    DeliveryStatus,
    DigestDelivery,
    Flag,
    Follow,
    Mention,
    Message,
    Recognition,
    Signal,
)

# Digest deliveries whose address was trimmed point here (".invalid" can never be delivered, RFC 2606).
TRIMMED_DOMAIN = "trimmed.invalid"


def _signals(user: User) -> list[dict[str, Any]]:
    rows = Signal.objects.filter(author=user).select_related("community", "theme", "municipality").order_by("pk")
    return [
        {
            "id": s.pk,
            "community": s.community.name,
            "title": s.title,
            "description": s.description,
            "theme": s.theme.slug,
            "municipality": s.municipality.name,
            "status": s.status,
            "reported": iso(s.created_at),
        }
        for s in rows
    ]


def _recognitions(user: User) -> list[dict[str, Any]]:
    rows = Recognition.objects.filter(user=user).select_related("signal", "municipality", "organisation")
    return [
        {
            "signal": r.signal_id,
            "signal_title": r.signal.title,
            "municipality": r.municipality.name,
            "organisation": r.organisation.name if r.organisation is not None else None,
            "by_status_holder": r.by_status_holder,
            "people_affected": r.people_affected,
            "tried_locally": r.tried_locally,
            "tried_locally_note": r.tried_locally_note,
            "recognised": iso(r.created_at),
        }
        for r in rows.order_by("created_at", "pk")
    ]


def _messages(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": m.pk,
            "signal": m.signal_id,
            "body": m.body,
            "language": m.language,
            "posted": iso(m.created_at),
            "edited": iso(m.edited_at),
            "deleted": iso(m.deleted_at),
            "hidden": m.hidden,
        }
        for m in Message.objects.filter(author=user).order_by("created_at", "pk")
    ]


def _follows(user: User) -> list[dict[str, Any]]:
    rows = Follow.objects.filter(user=user).select_related("community", "theme", "municipality")
    return [
        {
            "community": f.community.name,
            "signal": f.signal_id,
            "theme": f.theme.slug if f.theme is not None else None,
            "municipality": f.municipality.name if f.municipality is not None else None,
            "since": iso(f.created_at),
        }
        for f in rows.order_by("created_at", "pk")
    ]


def _check_back_answers(user: User) -> list[dict[str, Any]]:
    rows = CheckBackAnswer.objects.filter(user=user).select_related("check_back")
    return [
        {
            "signal": a.check_back.signal_id,
            "asked": iso(a.check_back.asked_at),
            "still_a_problem": a.still_a_problem,
            "note": a.note,
            "answered": iso(a.answered_at),
        }
        for a in rows.order_by("check_back__asked_at", "pk")
    ]


def _flags(user: User) -> list[dict[str, Any]]:
    return [
        {
            "message": f.message_id,
            "signal": f.signal_id,
            "reason": f.reason,
            "flagged": iso(f.created_at),
            "handled": iso(f.handled_at),
        }
        for f in Flag.objects.filter(user=user).order_by("created_at", "pk")
    ]


def mentions_erase(user: User) -> None:
    """Others' messages that mention the person by name say "@a former member" instead; the mentions go."""
    names = sorted({n for n in (user.display_name, user.pseudonym_label) if n}, key=len, reverse=True)
    if names:
        mentioned = re.compile("|".join("@" + re.escape(name) for name in names), re.IGNORECASE)
        for message in Message.objects.filter(mentions__user=user).distinct():
            with translation.override(message.language):
                label = "@" + _("a former member")
            body = mentioned.sub(label.replace("\\", r"\\"), message.body)  # the label as it is, no escapes
            if body != message.body:
                Message.objects.filter(pk=message.pk).update(body=body)
    Mention.objects.filter(user=user).delete()


def signals_data_erase(user: User) -> None:
    mentions_erase(user)
    Follow.objects.filter(user=user).delete()
    # An unanswered question would otherwise be mailed to an account that no longer has an address.
    CheckBackAnswer.objects.filter(user=user, answered_at=None).delete()


def delivery_addresses_trim(now: datetime.datetime) -> int:
    """Digest deliveries that are done keep their recipient address ``RETENTION_DELIVERY_ADDRESS_DAYS``."""
    cutoff = now - datetime.timedelta(days=settings.RETENTION_DELIVERY_ADDRESS_DAYS)
    done = DigestDelivery.objects.exclude(status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING])
    due = done.filter(Q(sent_at__lt=cutoff) | Q(sent_at=None, digest__created_at__lt=cutoff)).exclude(
        address__endswith="@" + TRIMMED_DOMAIN
    )
    return due.update(
        address=Concat(Value("delivery-"), Cast("pk", CharField()), Value("@" + TRIMMED_DOMAIN)), last_error=""
    )


def signals_sections_register() -> None:
    personal_data_register(name="signals", exporter=_signals, eraser=signals_data_erase)
    personal_data_register(name="recognitions", exporter=_recognitions, eraser=lambda user: None)
    personal_data_register(name="messages", exporter=_messages, eraser=lambda user: None)
    personal_data_register(name="follows", exporter=_follows, eraser=lambda user: None)
    personal_data_register(name="check_back_answers", exporter=_check_back_answers, eraser=lambda user: None)
    personal_data_register(name="flags", exporter=_flags, eraser=lambda user: None)
    retention_register(name="digest_delivery_addresses", purge=delivery_addresses_trim)
