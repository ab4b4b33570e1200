"""Staff in the admin: signed in through allauth, membership changes audited and ruled like any other."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community.models import AuditEntry, Community, Membership, Role, User
from tests.factories import CommunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> User:
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_the_admin_sign_in_is_allauths(client: Client) -> None:
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_staff_start_a_community_with_its_first_coordinator_audited(client: Client, staff: User) -> None:
    community = CommunityFactory()
    coordinator = UserFactory()
    response = client.post(
        reverse("admin:community_membership_add"),
        {
            "user": coordinator.pk,
            "community": community.pk,
            "role": "coordinator",
            "created_at_0": "2026-11-22",
            "created_at_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=coordinator, community=community).role == Role.COORDINATOR
    entry = AuditEntry.objects.get(action="membership.added")
    assert (entry.actor, entry.community, entry.data) == (staff, community, {"role": "coordinator"})


def test_staff_cannot_remove_the_last_coordinator(
    client: Client, staff: User, alice: User, community: Community
) -> None:
    membership = Membership.objects.get(user=alice, community=community)
    client.post(reverse("admin:community_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEntry.objects.filter(action="membership.removed").exists()


def test_staff_role_changes_are_audited(client: Client, staff: User, bob: User, community: Community) -> None:
    membership = Membership.objects.get(user=bob, community=community)
    response = client.post(
        reverse("admin:community_membership_change", args=[membership.pk]),
        {"role": "moderator", "created_at_0": "2026-11-22", "created_at_1": "10:00:00"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Role.MODERATOR
    assert AuditEntry.objects.get(action="membership.role_changed").actor == staff


def test_the_community_page_shows_memberships_without_editing_them(
    client: Client, staff: User, alice: User, community: Community
) -> None:
    html = client.get(reverse("admin:community_community_change", args=[community.pk])).content.decode()
    assert "Alice Coordinator" in html
    assert 'name="memberships-0-role"' not in html
