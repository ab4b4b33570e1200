"""The home page's signals that need me, and following themes and municipalities."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.models import Community, Municipality, Role, User
from signals.models import Follow, Signal, Status, Theme
from signals.services import recognition_add
from signals.workflow import signal_transition
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db


def test_home_lists_the_signals_i_follow(
    client: Client, signal: Signal, reporter: User, make_member: MakeMember
) -> None:
    client.force_login(reporter)
    assert signal in client.get(reverse("home")).context["followed"]
    client.force_login(make_member())
    assert list(client.get(reverse("home")).context["followed"]) == []


def test_home_shows_coordinators_what_waits_for_their_decision(
    client: Client, signal: Signal, community: Community, make_member: MakeMember
) -> None:
    coordinator = make_member(role=Role.COORDINATOR)
    client.force_login(coordinator)
    assert list(client.get(reverse("home")).context["awaiting"]) == []
    community.min_recognitions, community.min_municipalities, community.min_organisations = 2, 2, 1
    community.save()
    recognition_add(actor=make_member("GM0766"), signal=signal)
    assert list(client.get(reverse("home")).context["awaiting"]) == [signal]  # meets the rule: escalate?
    signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason="Breed herkend")
    assert list(client.get(reverse("home")).context["awaiting"]) == []
    client.force_login(make_member())
    assert list(client.get(reverse("home")).context["awaiting"]) == []


def test_following_themes_and_municipalities_on_the_settings_page(
    client: Client, community: Community, make_member: MakeMember, housing: Theme
) -> None:
    member = make_member()
    client.force_login(member)
    dongen = Municipality.objects.get(cbs_code="GM0766")
    page = client.get(reverse("follow_settings"))
    assert page.status_code == 200 and housing.name in page.content.decode()
    client.post(
        reverse("follow_settings"),
        {f"theme-{community.pk}": [housing.pk], f"municipality-{community.pk}": [dongen.pk]},
    )
    assert set(Follow.objects.filter(user=member).values_list("theme", "municipality")) == {
        (housing.pk, None),
        (None, dongen.pk),
    }
    client.post(reverse("follow_settings"), {f"theme-{community.pk}": [housing.pk]})
    assert list(Follow.objects.filter(user=member).values_list("theme", flat=True)) == [housing.pk]
