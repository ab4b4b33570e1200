"""Who sees which signals: members everything of their community, liaisons from `reported` on, others nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from community import permissions
from community.models import Role, User
from signals.models import Signal, Status
from signals.selectors import access_signal, listed, recognitions_per_municipality, signals_visible_to
from signals.services import recognition_add, signal_hide
from signals.workflow import signal_transition
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


def test_members_see_their_communitys_signals_and_outsiders_nothing(
    signal: Signal, make_member: MakeMember, charlie: User
) -> None:
    assert list(signals_visible_to(make_member())) == [signal]
    assert list(signals_visible_to(charlie)) == []
    assert list(signals_visible_to(AnonymousUser())) == []  # type: ignore[arg-type]
    with pytest.raises(Http404):
        access_signal(charlie, signal.pk)
    with pytest.raises(Http404):
        access_signal(make_member(), 999_999)


def test_liaisons_see_signals_from_reported_on(signal: Signal, make_member: MakeMember) -> None:
    liaison = make_member(role=Role.LIAISON)
    assert list(signals_visible_to(liaison)) == []
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="rule")
    assert list(signals_visible_to(liaison)) == []
    signal_transition(actor=None, signal=signal, to=Status.REPORTED)
    assert list(signals_visible_to(liaison)) == [signal]
    assert access_signal(liaison, signal.pk, may=permissions.may_record_answers) == signal


def test_hidden_signals_leave_the_lists_and_only_moderators_open_them(signal: Signal, make_member: MakeMember) -> None:
    moderator, member = make_member(role=Role.MODERATOR), make_member()
    signal_hide(actor=moderator, signal=signal, reason="Persoonsgegevens")
    assert list(listed(signals_visible_to(member))) == []
    with pytest.raises(Http404):
        access_signal(member, signal.pk)
    assert access_signal(moderator, signal.pk) == signal


def test_access_with_an_action_the_person_lacks_is_403(signal: Signal, make_member: MakeMember) -> None:
    with pytest.raises(PermissionDenied):
        access_signal(make_member(), signal.pk, may=permissions.may_escalate)


def test_recognitions_show_as_counts_per_municipality_never_names(signal: Signal, make_member: MakeMember) -> None:
    recognition_add(actor=make_member("GM0855"), signal=signal)
    recognition_add(actor=make_member("GM0766"), signal=signal)
    assert recognitions_per_municipality(signal) == [("Tilburg", 2), ("Dongen", 1)]


def test_the_visibility_question_costs_a_fixed_number_of_queries(
    signal: Signal, make_member: MakeMember, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    member = make_member()
    with django_assert_num_queries(2):  # type: ignore[operator]
        list(listed(signals_visible_to(member)))


def test_pseudonymous_recognisers_count_under_the_region_not_their_municipality(
    signal: Signal, make_member: MakeMember
) -> None:
    from community.models import UserKind

    recognition_add(actor=make_member("GM0798", kind=UserKind.STATUS_HOLDER), signal=signal)  # Hilvarenbeek
    with translation.override("en"):
        counts = recognitions_per_municipality(signal)
    assert counts == [("Tilburg", 1), ("elsewhere in Hart van Brabant (not named)", 1)]
    assert "Hilvarenbeek" not in str(counts)
