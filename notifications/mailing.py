"""Notification mail: immediate mails and the daily and weekly summaries.

Rows are claimed before they are mailed: under ``SELECT … FOR UPDATE SKIP
LOCKED`` their ``emailed_at`` is set in one transaction, so two runs of the
same task (a retry, a redelivery, two workers) never mail one notification
twice. What could not be sent because the mail server was away is released
for the next run; an address the server refuses counts towards switching
mail off for that person.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.mail import absolute_url, mail_compose, mails_send
from community.models import User
from notifications import services
from notifications.models import DEFAULT_FREQUENCY, GROUPED_KINDS, Frequency, MailStatus, Notification, Preference

logger = logging.getLogger(__name__)
RECIPIENTS_PER_ROUND = 100


def _unsubscribe_url(user: User, kinds: Iterable[str]) -> str:
    return absolute_url(reverse("notifications:unsubscribe", args=[services.unsubscribe_token(user, kinds)]))


def _claim(condition: Q, now: datetime) -> list[Notification]:
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(condition, emailed_at__isnull=True)
            .select_related("recipient", "community")
            .order_by("recipient_id", "community_id", "-updated_at")
        )
        if rows:
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(emailed_at=now)
    return rows


def _mail_off(user_ids: Iterable[int]) -> set[int]:
    return set(
        MailStatus.objects.filter(user_id__in=list(user_ids), disabled_at__isnull=False).values_list(
            "user_id", flat=True
        )
    )


def _deliver(batches: list[tuple[User, list[Notification], EmailMultiAlternatives]]) -> int:
    """Send each (person, their notifications, message); account for every outcome. Returns how many went."""
    outcomes = mails_send([message for _user, _rows, message in batches])
    delivered, release = [], []
    for (user, rows, _message), outcome in zip(batches, outcomes, strict=True):
        if outcome.sent:
            delivered.append(user.pk)
        elif outcome.hard:
            with transaction.atomic():
                services.mail_failed(user_id=user.pk, hard=True, error=outcome.error)
        else:
            release += [row.pk for row in rows]  # the server was away: the next run tries again
    if release:
        Notification.objects.filter(pk__in=release).update(emailed_at=None)
    if delivered:
        services.mail_delivered(user_ids=delivered)
    return len(delivered)


def mail_due(*, recipient_ids: list[int] | None = None, now: datetime | None = None) -> int:
    """Mail the notifications their recipients want at once; grouped kinds after the mail delay."""
    now = now or timezone.now()
    condition = Q(email_frequency=Frequency.IMMEDIATELY) & (
        ~Q(kind__in=GROUPED_KINDS) | Q(created_at__lte=now - services.mail_delay())
    )
    if recipient_ids is not None:
        condition &= Q(recipient_id__in=recipient_ids)
    rows = _claim(condition, now)
    off = _mail_off({row.recipient_id for row in rows})
    batches = []
    for row in rows:
        if row.recipient_id in off:
            continue  # claimed, not sent: mail is off for this person
        message = mail_compose(
            to=row.recipient.email,
            template="notifications/email/notification",
            context={"notification": row, "recipient": row.recipient, "url": absolute_url(row.url)},
            language=row.recipient.preferred_language,
            unsubscribe_url=_unsubscribe_url(row.recipient, [row.kind]),
        )
        batches.append((row.recipient, [row], message))
    return _deliver(batches)


def summaries_send(frequency: Frequency, *, now: datetime | None = None) -> int:
    """One summary per person of everything they get at ``frequency`` that was not mailed yet."""
    if frequency not in (Frequency.DAILY, Frequency.WEEKLY):
        raise ValueError(f"no summaries for {frequency}")
    now = now or timezone.now()
    waiting = Notification.objects.filter(email_frequency=frequency, emailed_at__isnull=True, created_at__lte=now)
    people = sorted(set(waiting.values_list("recipient_id", flat=True)))
    sent = 0
    for start in range(0, len(people), RECIPIENTS_PER_ROUND):
        round_people = people[start : start + RECIPIENTS_PER_ROUND]
        rows = _claim(Q(recipient_id__in=round_people, email_frequency=frequency, created_at__lte=now), now)
        per_person: dict[int, list[Notification]] = defaultdict(list)
        for row in rows:
            per_person[row.recipient_id].append(row)
        off = _mail_off(per_person)
        chosen: dict[int, dict[str, str]] = defaultdict(dict)
        for user_id, kind, choice in Preference.objects.filter(user_id__in=list(per_person)).values_list(
            "user_id", "kind", "frequency"
        ):
            chosen[user_id][kind] = choice
        batches = []
        for user_id, person_rows in per_person.items():
            if user_id in off:
                continue
            user = person_rows[0].recipient
            kinds = [k for k, default in DEFAULT_FREQUENCY.items() if chosen[user_id].get(k, default) == frequency]
            message = mail_compose(
                to=user.email,
                template="notifications/email/summary",
                context={
                    "frequency": frequency,
                    "recipient": user,
                    "notifications": person_rows,
                    "notifications_url": absolute_url(reverse("notifications:list")),
                    "settings_url": absolute_url(reverse("notifications:settings")),
                },
                language=user.preferred_language,
                unsubscribe_url=_unsubscribe_url(user, kinds or {row.kind for row in person_rows}),
            )
            batches.append((user, person_rows, message))
        sent += _deliver(batches)
    logger.info("%s summaries: %d sent to %d people", frequency, sent, len(people))
    return sent
