"""Every status pair, for every kind of actor: PRODUCT.md's lifecycle table, written out here on its own."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import PermissionDenied

from community.models import Role, User
from signals.models import EventKind, Lesson, Signal, SignalEvent, Status
from signals.workflow import TransitionError, moves_available, signal_transition
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db

# (from, to): (roles that may make the move by hand, whether the system may make it)
LIFECYCLE: dict[tuple[Status, Status], tuple[set[str], bool]] = {
    (Status.OPEN, Status.RESOLVED_LOCALLY): ({"coordinator", "moderator"}, False),
    (Status.RESOLVED_LOCALLY, Status.OPEN): ({"coordinator"}, True),  # or the check-back
    (Status.OPEN, Status.ESCALATED): ({"coordinator"}, True),  # or the rule
    (Status.ESCALATED, Status.REPORTED): (set(), True),  # sending an approved digest
    (Status.REPORTED, Status.ANSWERED): ({"coordinator", "liaison"}, False),
    (Status.ANSWERED, Status.CLOSED): ({"coordinator"}, False),
    (Status.OPEN, Status.CLOSED): ({"coordinator"}, False),
    (Status.RESOLVED_LOCALLY, Status.CLOSED): ({"coordinator"}, False),
}
ACTORS = ["member", "moderator", "coordinator", "liaison", "system"]
PAIRS = [(a, b) for a, b in itertools.product(Status, Status) if a != b]


def put(signal: Signal, status: Status) -> None:
    """Set up a signal in ``status`` (merged needs a survivor)."""
    survivor = Signal.objects.exclude(pk=signal.pk).first() if status == Status.MERGED else None
    Signal.objects.filter(pk=signal.pk).update(status=status, merged_into=survivor)


@pytest.fixture
def actors(make_member: MakeMember) -> dict[str, User | None]:
    return {
        "member": make_member(role=Role.MEMBER),
        "moderator": make_member(role=Role.MODERATOR),
        "coordinator": make_member(role=Role.COORDINATOR),
        "liaison": make_member(role=Role.LIAISON),
        "system": None,
    }


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_each_move_for_each_actor(
    signal: Signal, actors: dict[str, User | None], reporter: User, source: Status, target: Status
) -> None:
    def another() -> Signal:
        return Signal.objects.create(
            community=signal.community, author=reporter, title="x", description="x", theme=signal.theme,
            municipality=signal.municipality,
        )  # fmt: skip

    another()  # the survivor of a merged one
    for name, actor in actors.items():
        if target == Status.ESCALATED:
            signal = another()  # escalation is permanent: each actor tries a signal never escalated
        put(signal, source)
        events_before = SignalEvent.objects.filter(signal=signal).count()
        attempt = {
            "actor": actor, "signal": signal, "to": target, "reason": "r", "outcome": "solved", "lesson": "l",
            "on_behalf_of": "the ministry",
        }  # fmt: skip
        rule = LIFECYCLE.get((source, target))
        if rule is None:
            with pytest.raises(TransitionError) as error:
                signal_transition(**attempt)
            assert error.value.code == "illegal_transition", name
        elif (name == "system" and rule[1]) or name in rule[0]:
            moved = signal_transition(**attempt)
            assert moved.status == target, name
            event = SignalEvent.objects.filter(signal=signal).latest("pk")
            assert (event.kind, event.from_status, event.to_status, event.actor) == (
                EventKind.TRANSITION,
                source,
                target,
                actor,
            )
            continue
        else:
            with pytest.raises(PermissionDenied):
                signal_transition(**attempt)
        signal.refresh_from_db()
        assert signal.status == source, f"{name} changed {source}->{target}"
        assert SignalEvent.objects.filter(signal=signal).count() == events_before


def test_the_table_matches_the_lifecycle_of_the_product() -> None:
    from signals.workflow import MOVES

    written = {(source, move.target) for move in MOVES for source in move.sources}
    assert written == set(LIFECYCLE)


def test_solving_locally_needs_the_lesson_and_keeps_it(signal: Signal, actors: dict[str, User | None]) -> None:
    moderator = actors["moderator"]
    with pytest.raises(TransitionError) as error:
        signal_transition(actor=moderator, signal=signal, to=Status.RESOLVED_LOCALLY)
    assert error.value.code == "lesson_required"
    signal_transition(
        actor=moderator, signal=signal, to=Status.RESOLVED_LOCALLY, lesson="Afspraak met de corporatie over voorrang."
    )
    assert Lesson.objects.get(signal=signal).text == "Afspraak met de corporatie over voorrang."


def test_closing_needs_an_outcome_and_escalating_by_hand_a_reason(
    signal: Signal, actors: dict[str, User | None]
) -> None:
    coordinator = actors["coordinator"]
    with pytest.raises(TransitionError) as error:
        signal_transition(actor=coordinator, signal=signal, to=Status.CLOSED, outcome="maybe")
    assert error.value.code == "outcome_required"
    with pytest.raises(TransitionError) as error:
        signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason=" ")
    assert error.value.code == "reason_required"
    signal.refresh_from_db()
    assert signal.status == Status.OPEN


def test_escalation_is_permanent_and_its_time_is_kept(signal: Signal, actors: dict[str, User | None]) -> None:
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="Herkend in 4 gemeenten")
    signal.refresh_from_db()
    escalated_at = signal.escalated_at
    assert escalated_at is not None
    for target in (Status.OPEN, Status.ESCALATED, Status.RESOLVED_LOCALLY, Status.CLOSED):
        with pytest.raises(TransitionError):
            signal_transition(actor=actors["coordinator"], signal=signal, to=target, reason="r", outcome="solved")
    signal_transition(actor=None, signal=signal, to=Status.REPORTED)
    signal.refresh_from_db()
    assert signal.escalated_at == escalated_at and signal.reported_at is not None


def test_the_page_offers_only_the_persons_moves(signal: Signal, actors: dict[str, User | None]) -> None:
    coordinator, member, moderator = actors["coordinator"], actors["member"], actors["moderator"]
    assert {m.target for m in moves_available(coordinator, signal)} == {
        Status.RESOLVED_LOCALLY,
        Status.ESCALATED,
        Status.CLOSED,
    }
    assert {m.target for m in moves_available(moderator, signal)} == {Status.RESOLVED_LOCALLY}
    assert moves_available(member, signal) == []
