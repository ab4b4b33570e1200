"""The notification centre's one entry point (``notify``) and what people do with their notifications.

Other apps decide who is concerned and call ``notify`` with an ``Event`` and
the recipients' ids; this module stores one notification per recipient in
bulk (or adds the event to an unread one on the same subject, for the kinds
that group), and after commit pushes each to the recipient's open tabs and
schedules the mails. The number of queries does not depend on the number of
recipients.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.functional import Promise

from community.models import Community, User
from notifications import realtime
from notifications.models import DEFAULT_FREQUENCY, GROUPED_KINDS, Frequency, Kind, MailStatus, Notification, Preference

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


@dataclass(frozen=True)
class Event:
    """Something that happened, as the notification centre needs to know it.

    ``detail`` is a short text shown beside the title: a lazy translation (rendered
    here in every language), a mapping of language code to text, or plain text.
    """

    kind: Kind
    community: Community
    subject_key: str
    url: str
    title: str
    actor: User | None = None
    actor_label: str = ""
    detail: Promise | Mapping[str, str] | str = field(default="")

    def details(self) -> dict[str, str]:
        if isinstance(self.detail, Mapping):
            return dict(self.detail)
        if not self.detail:
            return {}
        texts = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                texts[code] = str(self.detail)
        return texts


def group_window() -> timedelta:
    """How long after its first event a notification still takes more events on its subject
    (while it is unread and not yet mailed)."""
    return timedelta(seconds=settings.NOTIFICATIONS_GROUP_WINDOW_SECONDS)


def mail_delay() -> timedelta:
    """How long an immediate mail of a grouped kind waits for more events."""
    return timedelta(seconds=settings.NOTIFICATIONS_MAIL_DELAY_SECONDS)


@transaction.atomic
def notify(event: Event, recipient_ids: Iterable[int], *, mailed_by_caller: bool = False) -> list[int]:
    """Notify ``recipient_ids`` (never the actor, never a deactivated account); returns the notifications' ids.

    ``mailed_by_caller``: the caller sends its own mail about this (one with more in it than the notification
    mailer's, such as answer links), so the notifications count as mailed.

    Five queries at most, whatever the number of recipients.
    """
    ids = set(recipient_ids)
    if event.actor is not None:
        ids.discard(event.actor.pk)
    if not ids:
        return []
    chosen = Preference.objects.filter(user=OuterRef("pk"), kind=event.kind).values("frequency")[:1]
    frequencies = {
        pk: frequency or DEFAULT_FREQUENCY[event.kind]
        for pk, frequency in User.objects.filter(pk__in=ids, is_active=True)
        .annotate(chosen=Subquery(chosen))
        .values_list("pk", "chosen")
    }
    if not frequencies:
        return []
    now = timezone.now()
    grouped: dict[int, int] = {}
    if event.kind in GROUPED_KINDS:
        # The same unread, not yet mailed notification on this subject takes the event ("12 new messages on …").
        open_ones = (
            Notification.objects.select_for_update()
            .filter(
                recipient_id__in=frequencies,
                kind=event.kind,
                subject_key=event.subject_key,
                read_at__isnull=True,
                emailed_at__isnull=True,
                created_at__gte=now - group_window(),
            )
            .order_by("recipient_id", "-created_at")
            .values_list("recipient_id", "pk")
        )
        for recipient_id, pk in open_ones:
            grouped.setdefault(recipient_id, pk)
        if grouped:
            Notification.objects.filter(pk__in=grouped.values()).update(
                count=F("count") + 1,
                updated_at=now,
                actor=event.actor,
                actor_label=event.actor_label[:200],
                title=event.title[:300],
                url=event.url,
            )
    details = event.details()
    created = Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=recipient_id,
                community=event.community,
                kind=event.kind,
                actor=event.actor,
                actor_label=event.actor_label[:200],
                subject_key=event.subject_key,
                url=event.url,
                title=event.title[:300],
                detail=details,
                email_frequency=frequency,
                created_at=now,
                updated_at=now,
                emailed_at=now if mailed_by_caller else None,
            )
            for recipient_id, frequency in frequencies.items()
            if recipient_id not in grouped
        ]
    )
    touched = [*grouped.values(), *(n.pk for n in created)]
    realtime.pushed_after_commit(touched)
    immediately = [pk for pk, frequency in frequencies.items() if frequency == Frequency.IMMEDIATELY]
    if immediately and not mailed_by_caller:
        _mail_after_commit(event.kind, immediately)
    return touched


def _mail_after_commit(kind: str, recipient_ids: list[int]) -> None:
    from notifications.tasks import notifications_mail_due

    # Grouped kinds wait a little for more events to join the notification.
    countdown = settings.NOTIFICATIONS_MAIL_DELAY_SECONDS + 1 if kind in GROUPED_KINDS else 0
    transaction.on_commit(
        lambda: notifications_mail_due.apply_async(kwargs={"recipient_ids": recipient_ids}, countdown=countdown),
        robust=True,  # the sweep on beat sends what this would have sent
    )


# --- reading ---------------------------------------------------------------------------


def notification_read(*, user: User, pk: int) -> Notification:
    """Mark one of the person's notifications read (someone else's does not exist for them)."""
    notification = Notification.objects.get(pk=pk, recipient=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        realtime.unread_after_commit(user.pk)
    return notification


def notifications_read_all(*, user: User) -> int:
    done = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if done:
        realtime.unread_after_commit(user.pk)
    return done


def notifications_read_subject(*, user: User, subject_key: str) -> int:
    """Opening the subject reads what was about it."""
    done = Notification.objects.filter(recipient=user, subject_key=subject_key, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if done:
        realtime.unread_after_commit(user.pk)
    return done


# --- preferences -------------------------------------------------------------------------


def preferences_of(user: User) -> dict[str, str]:
    """Every kind's email frequency for the person (their choice, else the default)."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: chosen.get(kind, DEFAULT_FREQUENCY[kind]) for kind in Kind}


def mail_wanted(kind: str, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who take mail of this kind at all (their choice is not "never") and whose mail is
    not switched off after bounces: for callers that send their own mail (two queries)."""
    ids = set(user_ids)
    chosen = dict(Preference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "frequency"))
    off = set(MailStatus.objects.filter(user_id__in=ids, disabled_at__isnull=False).values_list("user_id", flat=True))
    return {pk for pk in ids if chosen.get(pk, DEFAULT_FREQUENCY[Kind(kind)]) != Frequency.NEVER} - off


@transaction.atomic
def preferences_set(*, user: User, frequencies: Mapping[str, str]) -> None:
    """Store the person's choices; notifications that wait for a mail follow the new choice."""
    chosen = {Kind(kind).value: Frequency(frequency).value for kind, frequency in frequencies.items()}
    Preference.objects.bulk_create(
        [Preference(user=user, kind=kind, frequency=frequency) for kind, frequency in chosen.items()],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["frequency"],
    )
    waiting = Notification.objects.filter(recipient=user, emailed_at__isnull=True)
    for frequency in set(chosen.values()):  # at most four updates, one per frequency
        waiting.filter(kind__in=[k for k, f in chosen.items() if f == frequency]).update(email_frequency=frequency)


def unsubscribe_token(user: User, kinds: Iterable[str]) -> str:
    """A signed link token that switches the kinds' email off for this person, without signing in."""
    return signing.dumps({"u": user.pk, "k": sorted(set(kinds))}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[User, list[str]] | None:
    """The person and kinds of a token, or None when it is forged, broken or the person is gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user = User.objects.filter(pk=int(data["u"]), is_active=True).first()
        kinds = [Kind(kind).value for kind in data["k"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return (user, kinds) if user is not None else None


def unsubscribe(token: str) -> tuple[User, list[str]] | None:
    """Apply a token: its kinds are never mailed again (until the person chooses otherwise)."""
    found = unsubscribe_read(token)
    if found is not None:
        user, kinds = found
        preferences_set(user=user, frequencies=dict.fromkeys(kinds, Frequency.NEVER))
    return found


# --- mail that bounces ----------------------------------------------------------------------


def mail_failed(*, user_id: int, hard: bool, error: str) -> None:
    """Count hard failures in a row; after ``MailStatus.FAILURES_BEFORE_OFF`` mail stops for that person."""
    if not hard:
        return
    status, _created = MailStatus.objects.select_for_update().get_or_create(user_id=user_id)
    status.hard_failures += 1
    status.last_error = error[:500]
    if status.hard_failures >= MailStatus.FAILURES_BEFORE_OFF and status.disabled_at is None:
        status.disabled_at, status.notice_seen_at = timezone.now(), None
    status.save()


def mail_delivered(*, user_ids: Iterable[int]) -> None:
    MailStatus.objects.filter(user_id__in=list(user_ids), hard_failures__gt=0, disabled_at__isnull=True).update(
        hard_failures=0, last_error=""
    )


def mail_switch_on(*, user: User) -> None:
    """The person checked their address: try again."""
    MailStatus.objects.filter(user=user).update(hard_failures=0, last_error="", disabled_at=None, notice_seen_at=None)


def mail_notice_seen(*, user: User) -> None:
    MailStatus.objects.filter(user=user, notice_seen_at__isnull=True).update(notice_seen_at=timezone.now())
