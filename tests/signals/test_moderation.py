"""The moderation queue: flags on messages and signals, hiding and dismissing from the queue, audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from community.models import AuditEntry, Community, Municipality, Role, User
from community.permissions import may_handle_flags
from signals.discussion import message_flag, message_post, message_set_hidden
from signals.models import Flag, FlagOutcome, Message, Signal, Theme
from signals.moderation import flag_hide, flagged_count, flags_dismiss, flags_open_for, signal_flag
from signals.services import signal_create, signal_restore
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_member: MakeMember) -> User:
    return make_member(role=Role.MODERATOR, display_name="Mo Moderator")


@pytest.fixture
def message(signal: Signal, make_member: MakeMember) -> Message:
    posted, _new = message_post(actor=make_member(), signal=signal, body="Bel gewoon de wethouder, die regelt het.")
    return posted


@pytest.fixture
def elsewhere(community: Community, housing: Theme) -> Signal:
    """A signal of another community in the same region, with a moderator of its own."""
    other = CommunityFactory(region=community.region, slug="cop-elders", name="CoP Elders")
    tilburg = Municipality.objects.get(cbs_code="GM0855")
    author = UserFactory(display_name="Els Elders")
    author.municipalities.set([tilburg])
    MembershipFactory(user=author, community=other, role=Role.MEMBER)
    return signal_create(
        actor=author,
        community=other,
        title="Geen tolk bij de huisarts",
        description="Huisartsen in de regio zeggen dat ze geen tolk meer mogen inzetten.",
        theme=housing,
        municipality=tilburg,
    )


def _member_of(community: Community, role: Role = Role.MEMBER) -> User:
    user = UserFactory(mfa=role in (Role.COORDINATOR, Role.LIAISON))
    user.municipalities.set([Municipality.objects.get(cbs_code="GM0855")])
    MembershipFactory(user=user, community=community, role=role)
    return user


def _english(client: Client, user: User) -> Client:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


# --- Flagging a signal -------------------------------------------------------------


def test_a_member_flags_a_signal_once_when_flagging_twice(signal: Signal, make_member: MakeMember) -> None:
    flagger = make_member()
    first = signal_flag(actor=flagger, signal=signal, reason=" Dubbel met #3 ")
    again = signal_flag(actor=flagger, signal=signal, reason="Nog steeds dubbel")
    assert again.pk == first.pk
    assert list(Flag.objects.filter(signal=signal).values_list("reason", "message")) == [("Dubbel met #3", None)]


def test_flagging_is_refused_when_the_signal_is_ones_own_or_one_may_not_flag(
    signal: Signal, reporter: User, make_member: MakeMember
) -> None:
    with pytest.raises(ValidationError) as error:
        signal_flag(actor=reporter, signal=signal)
    assert error.value.code == "own_signal"
    with pytest.raises(PermissionDenied):
        signal_flag(actor=make_member(role=Role.LIAISON), signal=signal)
    assert not Flag.objects.exists()


def test_flagging_a_signal_of_another_community_is_not_found(
    client: Client, elsewhere: Signal, make_member: MakeMember
) -> None:
    response = _english(client, make_member()).post(reverse("signal_flag", args=[elsewhere.pk]), {"reason": "x"})
    assert response.status_code == 404
    assert not Flag.objects.exists()


def test_the_signal_page_flags_without_javascript(client: Client, signal: Signal, make_member: MakeMember) -> None:
    flagger = make_member()
    _english(client, flagger)
    page = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert f'action="{reverse("signal_flag", args=[signal.pk])}"' in page and 'for="flag-signal-reason"' in page
    response = client.post(reverse("signal_flag", args=[signal.pk]), {"reason": "Staat er twee keer in"}, follow=True)
    assert response.redirect_chain == [(reverse("signal_detail", args=[signal.pk]), 302)]
    html = response.content.decode()
    assert "Thank you. A moderator will look at it." in html
    assert Flag.objects.get(signal=signal).user == flagger


def test_the_author_sees_no_flag_form_on_their_own_signal(client: Client, signal: Signal, reporter: User) -> None:
    page = _english(client, reporter).get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert reverse("signal_flag", args=[signal.pk]) not in page


# --- The queue ---------------------------------------------------------------------------


def test_the_queue_groups_open_flags_per_subject_newest_first(
    signal: Signal,
    message: Message,
    make_member: MakeMember,
    moderator: User,
    django_assert_num_queries: Any,
) -> None:
    message_flag(actor=make_member(), message=message, reason="Onaardig")
    message_flag(actor=make_member(), message=message, reason="")
    signal_flag(actor=make_member(), signal=signal, reason="Dubbel")
    with django_assert_num_queries(4):  # roles, communities, the groups, their flags with what they flag
        rows = flags_open_for(moderator)
    assert [(row.kind, row.subject.pk, row.count, row.reasons) for row in rows] == [
        ("signal", signal.pk, 1, ["Dubbel"]),
        ("message", message.pk, 2, ["Onaardig"]),
    ]
    assert rows[1].signal == signal and rows[1].community.pk == signal.community_id
    assert flagged_count([signal.community_id]) == 2


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.COORDINATOR])
def test_the_queue_shows_only_the_flags_of_ones_own_communities(
    client: Client, signal: Signal, elsewhere: Signal, make_member: MakeMember, role: Role
) -> None:
    signal_flag(actor=make_member(), signal=signal, reason="Hier")
    signal_flag(actor=_member_of(elsewhere.community), signal=elsewhere, reason="Daar")
    handler = make_member(role=role)
    assert [row.subject for row in flags_open_for(handler)] == [signal]
    html = _english(client, handler).get(reverse("moderation")).content.decode()
    assert signal.title in html and "Hier" in html
    assert elsewhere.title not in html and "Daar" not in html
    assert "Moderation (1 waiting)" in html  # the header's link and count


def test_the_queue_is_forbidden_to_people_who_handle_no_flags(
    client: Client, make_member: MakeMember, charlie: User
) -> None:
    for person in (make_member(), make_member(role=Role.LIAISON), charlie):
        response = _english(client, person).get(reverse("moderation"))
        assert response.status_code == 403
        assert reverse("moderation") not in client.get(reverse("signal_list")).content.decode()


@pytest.mark.parametrize("role", list(Role))
def test_the_header_links_to_the_queue_when_the_person_may_handle_flags(
    client: Client, community: Community, make_member: MakeMember, role: Role
) -> None:
    person = make_member(role=role)
    html = _english(client, person).get(reverse("home")).content.decode()
    assert (f'href="{reverse("moderation")}"' in html) == may_handle_flags(person, community)


def test_a_coordinator_awaiting_two_factor_enrolment_handles_no_flags(client: Client, make_member: MakeMember) -> None:
    coordinator = make_member(role=Role.COORDINATOR)
    coordinator.authenticator_set.all().delete()
    assert _english(client, coordinator).get(reverse("moderation")).status_code == 403


@pytest.mark.usefixtures("posting_limits_lifted")
def test_the_queue_page_takes_as_many_queries_for_ten_items_as_for_one(
    client: Client, signal: Signal, make_member: MakeMember, moderator: User, housing: Theme
) -> None:
    flagger, author = make_member(), make_member(display_name="Auteur")
    _english(client, moderator)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("moderation"))
        assert response.status_code == 200
        return len(captured)

    first, _new = message_post(actor=author, signal=signal, body="Bericht 0")
    message_flag(actor=flagger, message=first, reason="Reden 0")
    one = queries()
    for n in range(1, 6):
        posted, _new = message_post(actor=author, signal=signal, body=f"Bericht {n}")
        message_flag(actor=flagger, message=posted, reason=f"Reden {n}")
        message_flag(actor=make_member(), message=posted)
    for n in range(4):
        other = signal_create(
            actor=author,
            community=signal.community,
            title=f"Signaal {n}",
            description="Omschrijving",
            theme=housing,
            municipality=signal.municipality,
        )
        signal_flag(actor=flagger, signal=other, reason=f"Signaalreden {n}")
    assert len(flags_open_for(moderator)) == 10
    assert queries() == one


# --- Hiding and dismissing ---------------------------------------------------------------


def test_hiding_a_message_from_the_queue_handles_its_flags_and_audits(
    message: Message, make_member: MakeMember, moderator: User
) -> None:
    for reason in ("Onaardig", "Klopt niet"):
        message_flag(actor=make_member(), message=message, reason=reason)
    flag_hide(actor=moderator, subject=message, reason="Persoonlijke aanval")
    message.refresh_from_db()
    assert (message.hidden, message.hidden_by, message.hidden_reason) == (True, moderator, "Persoonlijke aanval")
    assert set(Flag.objects.values_list("outcome", "handled_by")) == {(FlagOutcome.HIDDEN, moderator.pk)}
    assert not Flag.objects.open().exists()
    entry = AuditEntry.objects.get(action="message.hidden", subject_id=str(message.pk))
    assert (entry.actor, entry.reason, entry.data) == (moderator, "Persoonlijke aanval", {"flags_handled": 2})
    assert flags_open_for(moderator) == []


def test_hiding_a_signal_from_the_queue_handles_its_flags_and_audits(
    signal: Signal, make_member: MakeMember, moderator: User
) -> None:
    signal_flag(actor=make_member(), signal=signal, reason="Reclame")
    flag_hide(actor=moderator, subject=signal, reason="Reclame voor een bureau")
    signal.refresh_from_db()
    assert (signal.hidden, signal.hidden_reason) == (True, "Reclame voor een bureau")
    flag = Flag.objects.get()
    assert (flag.outcome, flag.handled_by, flag.handled_at is not None) == (FlagOutcome.HIDDEN, moderator, True)
    entry = AuditEntry.objects.get(action="signal.hidden", subject_id=str(signal.pk))
    assert (entry.community_id, entry.data) == (signal.community_id, {"flags_handled": 1})
    assert signal.events.filter(kind="hidden").count() == 1
    signal_restore(actor=moderator, signal=signal, reason="Toch niet")
    assert AuditEntry.objects.filter(action="signal.restored").count() == 1


def test_hiding_handles_a_flag_that_came_in_after_the_message_was_hidden(
    message: Message, make_member: MakeMember, moderator: User
) -> None:
    message_set_hidden(actor=moderator, message=message, hidden=True, reason="Off-topic")
    message_flag(actor=make_member(), message=message, reason="Te laat gezien")
    flag_hide(actor=moderator, subject=message, reason="Was al verborgen")
    assert Flag.objects.get().outcome == FlagOutcome.HIDDEN
    assert AuditEntry.objects.filter(action="message.hidden").count() == 2
    flag_hide(actor=moderator, subject=message, reason="Nog eens")  # nothing left to do, nothing recorded
    assert AuditEntry.objects.filter(action="message.hidden").count() == 2


def test_hiding_needs_a_reason(message: Message, make_member: MakeMember, moderator: User) -> None:
    message_flag(actor=make_member(), message=message)
    with pytest.raises(ValidationError) as error:
        flag_hide(actor=moderator, subject=message, reason="  ")
    assert error.value.code == "reason_required"
    message.refresh_from_db()
    assert not message.hidden and Flag.objects.open().count() == 1


def test_dismissing_handles_the_flags_audits_once_and_leaves_the_content_visible(
    signal: Signal, message: Message, make_member: MakeMember, moderator: User
) -> None:
    message_flag(actor=make_member(), message=message, reason="Vind ik niks")
    signal_flag(actor=make_member(), signal=signal, reason="Saai")
    assert flags_dismiss(actor=moderator, subject=message, reason="Gewoon een mening") == 1
    assert flags_dismiss(actor=moderator, subject=message) == 0  # a second click
    message.refresh_from_db()
    assert not message.hidden
    flag = Flag.objects.get(message=message)
    assert (flag.outcome, flag.handled_by) == (FlagOutcome.DISMISSED, moderator)
    entry = AuditEntry.objects.get(action="flags.dismissed")
    assert (entry.subject_id, entry.reason, entry.data) == (str(message.pk), "Gewoon een mening", {"flags_handled": 1})
    assert [row.subject for row in flags_open_for(moderator)] == [signal]  # the signal's flag still waits


def test_only_people_who_handle_flags_hide_or_dismiss(
    signal: Signal, message: Message, make_member: MakeMember, elsewhere: Signal
) -> None:
    message_flag(actor=make_member(), message=message)
    for person in (make_member(), _member_of(elsewhere.community, Role.MODERATOR)):
        with pytest.raises(PermissionDenied):
            flags_dismiss(actor=person, subject=message)
        with pytest.raises(PermissionDenied):
            flag_hide(actor=person, subject=signal, reason="Nee")
    assert Flag.objects.open().count() == 1


# --- The pages, without JavaScript -----------------------------------------------------


def test_the_queue_flow_without_javascript(
    client: Client, signal: Signal, message: Message, make_member: MakeMember, moderator: User
) -> None:
    _english(client, make_member())
    client.post(reverse("message_action", args=[signal.pk, message.pk]), {"action": "flag", "reason": "Onaardig"})
    _english(client, moderator)
    html = client.get(reverse("moderation")).content.decode()
    assert f'href="{reverse("signal_detail", args=[signal.pk])}?upto={message.pk}#message-{message.pk}"' in html
    assert "Bel gewoon de wethouder" in html and "Onaardig" in html and "1 flag" in html
    assert 'for="hide-reason-message-' in html and 'for="dismiss-reason-message-' in html
    action = reverse("moderation_action", args=["message", message.pk])

    refused = client.post(action, {"action": "hide", "reason": ""}, follow=True)
    assert "Say why." in refused.content.decode()
    message.refresh_from_db()
    assert not message.hidden

    done = client.post(action, {"action": "hide", "reason": "Persoonlijk"}, follow=True)
    assert done.redirect_chain == [(reverse("moderation"), 302)]
    page = done.content.decode()
    assert "Hidden. Its flags are handled." in page and "Nothing waits for a moderator." in page
    message.refresh_from_db()
    assert message.hidden and AuditEntry.objects.filter(action="message.hidden").exists()


def test_dismissing_through_the_page_leaves_the_signal_listed(
    client: Client, signal: Signal, make_member: MakeMember, moderator: User
) -> None:
    signal_flag(actor=make_member(), signal=signal, reason="Saai")
    _english(client, moderator)
    response = client.post(
        reverse("moderation_action", args=["signal", signal.pk]), {"action": "dismiss", "reason": ""}, follow=True
    )
    assert "Flags dismissed. It stays visible." in response.content.decode()
    signal.refresh_from_db()
    assert not signal.hidden and Flag.objects.get().outcome == FlagOutcome.DISMISSED
    assert AuditEntry.objects.filter(action="flags.dismissed", subject_id=str(signal.pk)).exists()


def test_acting_on_what_is_not_in_ones_communities_is_not_found(
    client: Client, signal: Signal, elsewhere: Signal, make_member: MakeMember, moderator: User
) -> None:
    signal_flag(actor=_member_of(elsewhere.community), signal=elsewhere)
    _english(client, moderator)
    for kind, pk in (("signal", elsewhere.pk), ("message", 999_999), ("lesson", signal.pk)):
        response = client.post(reverse("moderation_action", args=[kind, pk]), {"action": "dismiss"})
        assert response.status_code == 404
    _english(client, make_member())
    response = client.post(reverse("moderation_action", args=["signal", signal.pk]), {"action": "dismiss"})
    assert response.status_code == 404
    assert Flag.objects.open().count() == 1
