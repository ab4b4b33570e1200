"""The signal lifecycle of PRODUCT.md, as one explicit table, and the one function that moves a signal.

Every move is checked against the table (is it a move at all?) and against
the person making it (may they?), made under the signal's row lock, and
written to the timeline and the audit log in the same transaction. Escalation is permanent:
the only way out of ``escalated`` is forward, to ``reported``. ``merged`` is
reached only through ``signals.services.signal_merge``, which also moves the
recognitions and followers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions
from community.audit import audit_record
from community.models import Community, User
from signals import recipients
from signals.models import Answer, CheckBack, EventKind, Lesson, Outcome, Signal, SignalEvent, Status
from signals.privacy import guard
from signals.realtime import signal_changed
from signals.rules import Counters, Rule, figures_of

Check = Callable[[User, Community], bool]


@dataclass(frozen=True)
class Move:
    sources: frozenset[Status]
    target: Status
    may: Check | None
    """Who may make the move by hand; None when only the system makes it."""
    by_system: bool = False
    """The rule, a sent digest or a check-back may make it (no person acting)."""
    needs_reason: bool = False
    needs_outcome: bool = False
    needs_lesson: bool = False
    needs_answer: bool = False
    """The reason is the answer that came back; on whose behalf it is given is required too."""


S = Status
MOVES: tuple[Move, ...] = (
    Move(frozenset({S.OPEN}), S.RESOLVED_LOCALLY, permissions.may_resolve_locally, needs_lesson=True),
    Move(frozenset({S.RESOLVED_LOCALLY}), S.OPEN, permissions.may_change_status, by_system=True, needs_reason=True),
    Move(frozenset({S.OPEN}), S.ESCALATED, permissions.may_escalate, by_system=True, needs_reason=True),
    Move(frozenset({S.ESCALATED}), S.REPORTED, None, by_system=True),
    Move(frozenset({S.REPORTED}), S.ANSWERED, permissions.may_record_answers, needs_reason=True, needs_answer=True),
    Move(frozenset({S.ANSWERED}), S.CLOSED, permissions.may_change_status, needs_outcome=True),
    Move(frozenset({S.OPEN, S.RESOLVED_LOCALLY}), S.CLOSED, permissions.may_change_status, needs_outcome=True),
)


# The audit log's name for each move (actor None: the rule, a sent digest or a check-back).
AUDIT_ACTIONS: dict[Status, str] = {
    S.RESOLVED_LOCALLY: "signal.resolved_locally",
    S.OPEN: "signal.reopened",
    S.ESCALATED: "signal.escalated",
    S.REPORTED: "signal.reported",
    S.ANSWERED: "signal.answered",
    S.CLOSED: "signal.closed",
}


class TransitionError(ValidationError):
    """The move is not in the table, or lacks what it needs. Nothing was changed."""


def move_for(source: Status | str, target: Status | str) -> Move | None:
    return next((m for m in MOVES if source in m.sources and m.target == target), None)


def moves_available(user: User, signal: Signal) -> list[Move]:
    """The moves this person may make on this signal now (for the page's buttons)."""
    return [
        move
        for move in MOVES
        if signal.status in move.sources and move.may is not None and move.may(user, signal.community)
    ]


def _require(move: Move, *, reason: str, outcome: str, lesson: str, by_rule: bool, on_behalf_of: str) -> None:
    if move.needs_answer and not reason.strip():
        raise TransitionError(_("Write down the answer."), code="answer_required")
    if move.needs_answer and not on_behalf_of.strip():
        raise TransitionError(
            _("Say on whose behalf the answer is given (for example: the ministry, via the regional coordinator)."),
            code="on_behalf_of_required",
        )
    if move.needs_reason and not reason.strip() and not by_rule:
        raise TransitionError(_("Say why."), code="reason_required")
    if move.needs_outcome and outcome not in Outcome.values:
        raise TransitionError(_("Choose the outcome."), code="outcome_required")
    if move.needs_lesson and not lesson.strip():
        raise TransitionError(
            _("Write down how it was solved, so other municipalities can learn from it."), code="lesson_required"
        )


@transaction.atomic
def signal_transition(
    *,
    actor: User | None,
    signal: Signal,
    to: Status,
    reason: str = "",
    outcome: str = "",
    lesson: str = "",
    rule: tuple[Counters, Rule] | None = None,
    on_behalf_of: str = "",
) -> Signal:
    """Move ``signal`` to ``to``; ``actor=None`` is the system (rule, digest, check-back).

    ``rule`` is the escalation rule's own reason (the counters and the rule
    they met, see ``signals.escalation``): it takes the place of a written
    reason and is kept on the timeline entry as figures.

    Raises TransitionError (not a move from the current status, or something
    it needs is missing) or PermissionDenied (not this person's move); either
    way nothing changes.
    """
    if rule is not None and (actor is not None or to != Status.ESCALATED):
        raise TypeError("only the system escalates by the rule")
    locked = Signal.objects.select_for_update(of=("self",)).select_related("community").get(pk=signal.pk)
    move = move_for(locked.status, to)
    if move is None:
        raise TransitionError(
            _("A signal that is %(current)s cannot become %(target)s.")
            % {"current": Status(locked.status).label, "target": Status(to).label},
            code="illegal_transition",
        )
    if actor is None:
        if not move.by_system:
            raise PermissionDenied("only a person makes this move")
    elif move.may is None or not move.may(actor, locked.community):
        raise PermissionDenied
    _require(move, reason=reason, outcome=outcome, lesson=lesson, by_rule=rule is not None, on_behalf_of=on_behalf_of)
    # Reasons, answers and lessons are published on the timeline and in the library, which are never edited.
    guard(reason, lesson, on_behalf_of)

    source = locked.status
    locked.status = to
    locked.last_activity_at = timezone.now()
    fields = ["status", "last_activity_at", "updated_at"]
    if move.needs_outcome:
        locked.outcome = outcome
        fields.append("outcome")
    # Escalation and reporting are permanent facts: their times are set once and kept.
    if to == Status.ESCALATED and locked.escalated_at is None:
        locked.escalated_at = locked.last_activity_at
        fields.append("escalated_at")
    if to == Status.REPORTED and locked.reported_at is None:
        locked.reported_at = locked.last_activity_at
        fields.append("reported_at")
    locked.save(update_fields=fields)
    if source == Status.RESOLVED_LOCALLY:
        # A check-back about this local solution no longer applies: its answers must not count later.
        CheckBack.objects.filter(signal=locked, closed_at=None).update(closed_at=locked.last_activity_at)
    if move.needs_answer:
        Answer.objects.create(
            signal=locked,
            text=reason.strip(),
            on_behalf_of=on_behalf_of.strip()[:200],
            recorded_by=actor,
            created_at=locked.last_activity_at,
        )
    if move.needs_lesson:
        Lesson.objects.update_or_create(
            signal=locked, defaults={"text": lesson.strip(), "author": actor, "created_at": locked.last_activity_at}
        )
    why = reason.strip() or lesson.strip()
    figures = figures_of(*rule) if rule else None
    SignalEvent.objects.create(
        signal=locked,
        kind=EventKind.TRANSITION,
        actor=actor,
        from_status=source,
        to_status=to,
        reason=why,
        figures=figures,
    )
    details: dict[str, object] = {"from": str(source), "to": str(to)}
    if move.needs_outcome:
        details["outcome"] = outcome
    if move.needs_answer:
        details["on_behalf_of"] = on_behalf_of.strip()[:200]
    if figures is not None:
        details["by_rule"] = figures
    audit_record(
        actor=actor,
        action=AUDIT_ACTIONS[Status(to)],
        subject=locked,
        community=locked.community,
        reason=why,
        data=details,
    )
    # Once escalated, the figures say why instead of how far the signal is from the rule.
    signal_changed(signal_id=locked.pk, status=True, recognitions=to == Status.ESCALATED)
    recipients.status_changed(locked, actor=actor, to=to)
    return locked
