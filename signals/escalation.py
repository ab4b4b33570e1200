"""Escalation by the rule: evaluate one signal, or sweep all open ones.

Safe to run twice, concurrently, or again after a crash (ARCHITECTURE.md,
the escalation pipeline): each evaluation takes the signal's row lock, looks
at its status under that lock, and escalates through
``signals.workflow.signal_transition`` in the same transaction. A second
evaluation waits for the lock and then finds the signal escalated; the
timeline's ``signal_escalated_once`` constraint refuses a second entry even
if the status check were ever wrong. The decision itself is the pure rule of
``signals.rules``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from signals.models import Signal, Status
from signals.rules import Counters, Rule, escalation_explanation, escalation_progress
from signals.workflow import signal_transition

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    signal_id: int
    escalated: bool
    why: str
    """In the active language: the explanation, how far the signal is, or why it is not evaluated."""


def signal_evaluate(signal_id: int) -> Decision | None:
    """Escalate the signal if it is open and meets its community's rule; None when it no longer exists."""
    with transaction.atomic():
        signal = Signal.objects.select_for_update(of=("self",)).select_related("community").filter(pk=signal_id).first()
        if signal is None:
            return None
        if signal.status != Status.OPEN:
            return Decision(
                signal_id,
                escalated=False,
                why=_("It is %(status)s; the rule only escalates open signals.")
                % {"status": Status(signal.status).label},
            )
        if signal.hidden:
            return Decision(signal_id, escalated=False, why=_("It is hidden by a moderator."))
        counters, rule = Counters.of(signal), Rule.of(signal.community)
        progress = escalation_progress(counters, rule)
        if not progress.met:
            return Decision(signal_id, escalated=False, why=progress.text)
        signal_transition(actor=None, signal=signal, to=Status.ESCALATED, rule=(counters, rule))
    logger.info("signal %s escalated by the rule of community %s", signal_id, signal.community_id)
    return Decision(signal_id, escalated=True, why=escalation_explanation(counters, rule))


def open_signals(community_id: int | None = None) -> QuerySet[Signal]:
    """Every signal the rule could still escalate (open and visible), oldest first."""
    signals = Signal.objects.filter(status=Status.OPEN, hidden=False).order_by("pk")
    return signals if community_id is None else signals.filter(community_id=community_id)


def escalation_candidates(community_id: int | None = None) -> QuerySet[Signal]:
    """The open signals whose counters reach their community's minimums: what a sweep evaluates.

    The same comparisons as ``escalation_progress``, in SQL, so a sweep over
    thousands of open signals reads only the few that may have to move.
    """
    return open_signals(community_id).filter(
        recognition_count__gte=F("community__min_recognitions"),
        municipality_count__gte=F("community__min_municipalities"),
        organisation_count__gte=F("community__min_organisations"),
        status_holder_count__gte=F("community__min_status_holder_recognitions"),
    )


def signals_evaluate(signals: QuerySet[Signal]) -> Iterator[Decision]:
    """Evaluate each of ``signals``, one transaction each: a crash halfway keeps what was done."""
    for signal_id in list(signals.values_list("pk", flat=True)):
        decision = signal_evaluate(signal_id)
        if decision is not None:
            yield decision


def escalation_sweep(community_id: int | None = None) -> int:
    """The safety net on beat: escalate every open signal that meets its rule; returns how many were escalated."""
    return sum(decision.escalated for decision in signals_evaluate(escalation_candidates(community_id)))
