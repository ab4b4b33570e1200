"""Profile changes through the domain functions and the admin; municipality and organisation changes are logged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.models import AuditEntry, Language, Municipality, User, UserKind
from community.services import profile_update, user_create
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_user_create_sets_municipalities_and_the_kind_default(tilburg: Municipality) -> None:
    user = user_create(
        email="Samir@example.org",
        display_name="Samir",
        kind=UserKind.STATUS_HOLDER,
        municipalities=[tilburg],
        preferred_language=Language.ARABIC,
    )
    assert (user.email, user.pseudonymous, user.preferred_language) == ("samir@example.org", True, "ar")
    assert list(user.municipalities.all()) == [tilburg]


def test_profile_update_logs_municipality_and_organisation_changes(bob: User, tilburg: Municipality) -> None:
    dongen = Municipality.objects.get(cbs_code="GM0766")
    coa = OrganisationFactory(name="COA Gilze")
    profile_update(actor=bob, user=bob, municipalities=[tilburg, dongen], organisation=coa, display_name="Bob B.")
    bob.refresh_from_db()
    assert (bob.display_name, bob.organisation) == ("Bob B.", coa)
    entries = {e.action: e for e in AuditEntry.objects.filter(subject_id=str(bob.pk))}
    assert set(entries) == {"profile.municipalities_changed", "profile.organisation_changed"}
    assert entries["profile.municipalities_changed"].data == {"before": ["GM0855"], "after": ["GM0766", "GM0855"]}
    assert entries["profile.organisation_changed"].data == {"before": "VluchtelingenWerk", "after": "COA Gilze"}
    assert entries["profile.organisation_changed"].actor == bob


def test_profile_update_without_those_changes_logs_nothing(bob: User, tilburg: Municipality) -> None:
    profile_update(
        actor=bob, user=bob, municipalities=[tilburg], pseudonym_label="B.", preferred_language=Language.ENGLISH
    )
    assert not AuditEntry.objects.exists()
    bob.refresh_from_db()
    assert (bob.pseudonym_label, bob.preferred_language) == ("B.", "en")


def test_staff_changing_a_profile_in_the_admin_is_logged(client: Client, bob: User) -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    goirle = Municipality.objects.get(cbs_code="GM0785")
    response = client.post(
        reverse("admin:community_user_change", args=[bob.pk]),
        {
            "email": bob.email,
            "display_name": bob.display_name,
            "kind": bob.kind,
            "pseudonym_label": "",
            "municipalities": [goirle.pk],
            "organisation": "",
            "preferred_language": "nl",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    entries = {e.action: e.data for e in AuditEntry.objects.filter(subject_id=str(bob.pk), actor=staff)}
    assert entries == {
        "profile.municipalities_changed": {"before": ["GM0855"], "after": ["GM0785"]},
        "profile.organisation_changed": {"before": "VluchtelingenWerk", "after": None},
    }
