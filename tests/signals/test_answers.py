"""Answers on reported signals: recorded by coordinators and liaisons on whose behalf, told to everyone involved."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from community.models import Community, Role, User
from notifications.models import Kind, Notification
from signals.discussion import message_post
from signals.models import Answer, Signal, Status
from signals.services import recognition_add, signal_follow
from signals.workflow import TransitionError, signal_transition
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(signal: Signal) -> Signal:
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="Speelt breed.")
    return signal_transition(actor=None, signal=signal, to=Status.REPORTED)


def test_an_answer_tells_everyone_involved_once_and_not_the_one_who_recorded_it(
    reported: Signal, reporter: User, make_member: MakeMember, community: Community
) -> None:
    recogniser = make_member("GM0867")
    recognition_add(actor=recogniser, signal=reported)
    discusser, follower, bystander = make_member("GM0784"), make_member("GM0797"), make_member("GM0798")
    message_post(actor=discusser, signal=reported, body="Bij ons ook.")
    signal_follow(actor=follower, signal=reported)
    liaison = make_member(role=Role.LIAISON, organisation="Ministerie van SZW")
    Notification.objects.all().delete()

    signal_transition(
        actor=liaison,
        signal=reported,
        to=Status.ANSWERED,
        reason="De regeling wordt per 1 januari aangepast.",
        on_behalf_of="Ministerie van SZW, via de regiocoördinator",
    )

    told = Counter(Notification.objects.filter(kind=Kind.ANSWER).values_list("recipient_id", flat=True))
    assert told == {reporter.pk: 1, recogniser.pk: 1, discusser.pk: 1, follower.pk: 1}
    assert liaison.pk not in told and bystander.pk not in told
    answer = Answer.objects.get()
    assert (answer.on_behalf_of, answer.recorded_by, answer.text) == (
        "Ministerie van SZW, via de regiocoördinator",
        liaison,
        "De regeling wordt per 1 januari aangepast.",
    )
    assert reported.events.latest("pk").reason == "De regeling wordt per 1 januari aangepast."


def test_an_answer_needs_its_text_on_whose_behalf_and_the_right_role(reported: Signal, make_member: MakeMember) -> None:
    coordinator = make_member(role=Role.COORDINATOR)
    for reason, behalf, code in (("", "SZW", "answer_required"), ("Het antwoord.", " ", "on_behalf_of_required")):
        with pytest.raises(TransitionError) as error:
            signal_transition(
                actor=coordinator, signal=reported, to=Status.ANSWERED, reason=reason, on_behalf_of=behalf
            )
        assert error.value.code == code
    with pytest.raises(PermissionDenied):
        signal_transition(actor=make_member(), signal=reported, to=Status.ANSWERED, reason="x", on_behalf_of="y")
    assert not Answer.objects.exists()
    reported.refresh_from_db()
    assert reported.status == Status.REPORTED


def test_on_the_page_a_coordinator_records_the_answer_and_the_recognisers_read_it(
    client: Client, reported: Signal, make_member: MakeMember
) -> None:
    coordinator = make_member(role=Role.COORDINATOR)
    recogniser = make_member("GM0867")
    recognition_add(actor=recogniser, signal=reported)
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("signal_detail", args=[reported.pk])).content.decode()
    assert "On whose behalf" in page
    client.post(
        reverse("signal_move", args=[reported.pk]),
        {"to": "answered", "reason": "Gemeenten krijgen extra budget.", "on_behalf_of": "VNG"},
    )
    client.force_login(recogniser)
    page = client.get(reverse("signal_detail", args=[reported.pk])).content.decode()
    assert "Gemeenten krijgen extra budget." in page and "On behalf of VNG" in page
    [note] = Notification.objects.filter(recipient=recogniser, kind=Kind.ANSWER)
    assert note.url == reverse("signal_detail", args=[reported.pk])
    # Coordinators close an answered signal with an outcome.
    signal_transition(actor=coordinator, signal=reported, to=Status.CLOSED, outcome="partly_solved")
    reported.refresh_from_db()
    assert (reported.status, reported.outcome) == (Status.CLOSED, "partly_solved")


def test_in_the_api_an_answer_is_a_transition_with_on_behalf_of(reported: Signal, make_member: MakeMember) -> None:
    api = APIClient()
    api.force_authenticate(make_member(role=Role.LIAISON))
    url = f"/api/v1/signals/{reported.pk}/transitions/"
    response = api.post(url, {"to": "answered", "reason": "Het antwoord."}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "on_behalf_of_required")
    response = api.post(url, {"to": "answered", "reason": "Het antwoord.", "on_behalf_of": "Divosa"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "answered"
    assert Answer.objects.get().on_behalf_of == "Divosa"
