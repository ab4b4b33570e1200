"""Merging a duplicate into the signal that survives: evidence and followers move, nobody counts twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community.models import Community, Municipality, Role, User
from signals.models import EventKind, Follow, Recognition, Signal, Status, Theme
from signals.services import recognition_add, signal_create, signal_merge
from tests.factories import CommunityFactory
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def duplicate(community: Community, housing: Theme, make_member: MakeMember) -> Signal:
    return signal_create(
        actor=make_member("GM0766", organisation="Gemeente Dongen"),
        community=community,
        title="Geen grote woningen voor gezinnen",
        description="Ook in Dongen wachten grote gezinnen lang.",
        theme=housing,
        municipality=Municipality.objects.get(cbs_code="GM0766"),
    )


def test_recognitions_and_followers_move_without_counting_anyone_twice(
    signal: Signal, duplicate: Signal, make_member: MakeMember
) -> None:
    both = make_member("GM0785", organisation="COA")
    recognition_add(actor=both, signal=signal)
    recognition_add(actor=both, signal=duplicate)
    only_duplicate = make_member("GM0867", organisation="WonenBreburg")
    recognition_add(actor=only_duplicate, signal=duplicate)
    moderator = make_member(role=Role.MODERATOR)

    survivor = signal_merge(actor=moderator, source=duplicate, target=signal, reason="Zelfde knelpunt")

    assert survivor.pk == signal.pk
    assert (
        Recognition.objects.filter(signal=signal).count() == 4
    )  # reporter, both, duplicate's reporter, only_duplicate
    assert Recognition.objects.filter(signal=signal, user=both).count() == 1
    assert (survivor.recognition_count, survivor.municipality_count) == (4, 4)
    assert not Recognition.objects.filter(signal=duplicate).exists()
    assert Follow.objects.filter(signal=signal, user=only_duplicate).exists()
    assert Follow.objects.filter(signal=signal, user=both).count() == 1
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into_id, duplicate.recognition_count) == (Status.MERGED, signal.pk, 0)
    assert duplicate.events.filter(kind=EventKind.MERGED_INTO, related_signal=signal).exists()
    assert signal.events.filter(kind=EventKind.MERGED_FROM, related_signal=duplicate, reason="Zelfde knelpunt").exists()


def test_members_cannot_merge(signal: Signal, duplicate: Signal, make_member: MakeMember) -> None:
    with pytest.raises(PermissionDenied):
        signal_merge(actor=make_member(), source=duplicate, target=signal)


def test_only_open_signals_of_one_community_merge(
    signal: Signal, duplicate: Signal, make_member: MakeMember, alice: User, housing: Theme
) -> None:
    moderator = make_member(role=Role.MODERATOR)
    with pytest.raises(ValidationError):
        signal_merge(actor=moderator, source=signal, target=signal)
    Signal.objects.filter(pk=duplicate.pk).update(status=Status.ESCALATED)
    with pytest.raises(ValidationError) as error:
        signal_merge(actor=moderator, source=duplicate, target=signal)
    assert error.value.code == "illegal_transition"
    other = Signal.objects.create(
        community=CommunityFactory(region=signal.community.region), author=alice, title="x", description="x",
        theme=housing, municipality=signal.municipality,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        signal_merge(actor=moderator, source=signal, target=other)
    assert error.value.code == "other_community"
    signal.refresh_from_db()
    assert signal.status == Status.OPEN
