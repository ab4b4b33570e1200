"""The moderation queue: members flag messages and signals; moderators hide them or dismiss the flags.

Hiding goes through the functions that hide (``message_set_hidden``, ``signal_hide``): they
settle the subject's open flags (outcome "hidden") under the subject's row lock, in the
transaction that hides it and writes the audit row. Dismissing does the same here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from community import permissions
from community.audit import audit_record
from community.models import Community, User
from community.people import public_name
from signals.discussion import message_set_hidden
from signals.models import Flag, FlagOutcome, FlagQuerySet, Message, Signal
from signals.services import signal_hide

Subject = Message | Signal
Kind = Literal["message", "signal"]
QUEUE_LIMIT = 100
REASON_MAX = 1000


# --- Writes ---------------------------------------------------------------------


@transaction.atomic
def signal_flag(*, actor: User, signal: Signal, reason: str = "") -> Flag:
    """Ask the moderators to look at a signal. Once per person: a second flag returns the first."""
    if not permissions.may_flag(actor, signal.community):
        raise PermissionDenied
    if signal.author_id is not None and signal.author_id == actor.pk:
        raise ValidationError(_("You cannot report your own signal to the moderators."), code="own_signal")
    if signal.hidden:
        raise ValidationError(_("This signal has been hidden already."), code="hidden")
    flag, _created = Flag.objects.get_or_create(
        signal=signal, user=actor, defaults={"reason": reason.strip()[:REASON_MAX]}
    )
    return flag


@transaction.atomic
def flag_hide(*, actor: User, subject: Subject, reason: str) -> Subject:
    """Hide a flagged message or signal (a reason is required); its open flags are handled as "hidden"."""
    if not permissions.may_handle_flags(actor, community_of(subject)):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why."), code="reason_required")
    if isinstance(subject, Message):
        return message_set_hidden(actor=actor, message=subject, hidden=True, reason=reason)
    return signal_hide(actor=actor, signal=subject, reason=reason)


@transaction.atomic
def flags_dismiss(*, actor: User, subject: Subject, reason: str = "") -> int:
    """The subject stays as it is; its open flags are handled as "dismissed". Returns how many.

    Under the subject's row lock, so a double click, or a hide at the same moment,
    handles each flag once; nothing left to handle records nothing.
    """
    locked: Subject
    if isinstance(subject, Message):
        locked = Message.objects.select_for_update(of=("self",)).select_related("signal__community").get(pk=subject.pk)
    else:
        locked = Signal.objects.select_for_update(of=("self",)).select_related("community").get(pk=subject.pk)
    community = community_of(locked)
    if not permissions.may_handle_flags(actor, community):
        raise PermissionDenied
    handled = _flags_on(locked).handle(by=actor, outcome=FlagOutcome.DISMISSED)
    if handled:
        audit_record(
            actor=actor,
            action="flags.dismissed",
            subject=locked,
            community=community,
            reason=reason.strip(),
            data={"flags_handled": handled},
        )
    return handled


def community_of(subject: Subject) -> Community:
    return subject.signal.community if isinstance(subject, Message) else subject.community


def _flags_on(subject: Subject) -> FlagQuerySet:
    if isinstance(subject, Message):
        return Flag.objects.filter(message=subject)
    return Flag.objects.filter(signal=subject)


# --- Reads ------------------------------------------------------------------------


def communities_handling_flags(user: User) -> list[Community]:
    """The communities whose flags the person handles, by name (two queries)."""
    with permissions.remembering_roles():
        permissions.role_standings(user)  # one query; it answers every question below
        communities = permissions.communities_visible_to(user).order_by("name")
        return [c for c in communities if permissions.may_handle_flags(user, c)]


def _open_in(community_ids: Iterable[int]) -> FlagQuerySet:
    ids = list(community_ids)
    return Flag.objects.open().filter(Q(message__signal__community_id__in=ids) | Q(signal__community_id__in=ids))


@dataclass
class Flagged:
    """One row of the queue: a message or signal, with its open flags."""

    kind: Kind
    subject: Subject
    signal: Signal  # the signal itself, or the one the message belongs to
    author_label: str
    last_flagged_at: datetime
    count: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def community(self) -> Community:
        return self.signal.community

    @property
    def key(self) -> str:
        """Unique on the page (a message and a signal may share a number)."""
        return f"{self.kind}-{self.subject.pk}"


def flags_open_for(user: User, *, limit: int = QUEUE_LIMIT) -> list[Flagged]:
    """The open flags of the communities where the person handles flags, one row per message or
    signal, the most recently flagged first; at most ``limit`` rows, in four queries whatever their number."""
    return flags_open_in(communities_handling_flags(user), limit=limit)


def flags_open_in(communities: Iterable[Community], *, limit: int = QUEUE_LIMIT) -> list[Flagged]:
    """As ``flags_open_for``, for communities the caller has from ``communities_handling_flags`` (two queries)."""
    community_ids = [c.pk for c in communities]
    if not community_ids:
        return []
    open_flags = _open_in(community_ids)
    newest = (
        open_flags.values("message_id", "signal_id")
        .annotate(last=Max("created_at"))
        .order_by("-last", "-message_id", "-signal_id")[:limit]
    )
    order = {(row["message_id"], row["signal_id"]): position for position, row in enumerate(newest)}
    if not order:
        return []
    message_ids = [m for m, s in order if m is not None]
    signal_ids = [s for m, s in order if s is not None]
    flags = (
        open_flags.filter(Q(message_id__in=message_ids) | Q(signal_id__in=signal_ids))
        .select_related(
            "message__author", "message__signal__community__region", "signal__author", "signal__community__region"
        )
        .order_by("created_at", "pk")
    )
    rows: dict[tuple[int | None, int | None], Flagged] = {}
    for flag in flags:
        key = (flag.message_id, flag.signal_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = _row_for(flag)
        row.count += 1
        row.last_flagged_at = max(row.last_flagged_at, flag.created_at)
        if flag.reason:
            row.reasons.append(flag.reason)
    # A flag handled between the two reads leaves its subject out, rather than shown stale.
    return sorted(rows.values(), key=lambda row: order[_group(row)])


def _row_for(flag: Flag) -> Flagged:
    if flag.message is not None:
        message = flag.message
        return Flagged(
            kind="message",
            subject=message,
            signal=message.signal,
            author_label=public_name(message.author, message.signal.community),
            last_flagged_at=flag.created_at,
        )
    signal = flag.signal
    assert signal is not None  # noqa: S101 -- flag_exactly_one_subject
    return Flagged(
        kind="signal",
        subject=signal,
        signal=signal,
        author_label=public_name(signal.author, signal.community),
        last_flagged_at=flag.created_at,
    )


def _group(row: Flagged) -> tuple[int | None, int | None]:
    return (row.subject.pk, None) if row.kind == "message" else (None, row.subject.pk)


def flagged_count(community_ids: Iterable[int]) -> int:
    """How many messages and signals wait in these communities' queue (one query), for the header."""
    ids = list(community_ids)
    if not ids:
        return 0
    counts = _open_in(ids).aggregate(messages=Count("message", distinct=True), signals=Count("signal", distinct=True))
    return int(counts["messages"] + counts["signals"])
