"""Member management and community settings: coordinators only, effective at once, audited."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from community.memberships import membership_change_role, membership_remove
from community.models import AuditEntry, Community, Membership, Role, User
from community.realtime import user_group
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., Any]


def members_url(community: Community) -> str:
    return reverse("community_members", args=[community.slug])


@pytest.mark.parametrize(
    ("persona", "status"), [("alice", 200), ("bob", 403), ("dilara", 403), ("charlie", 404), (None, 302)]
)
def test_only_coordinators_see_the_members_page(
    client: Client, community: Community, persona: str | None, status: int, request: Any
) -> None:
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get(members_url(community)).status_code == status
    assert client.get(reverse("community_settings", args=[community.slug])).status_code == status


def test_members_page_lists_members_with_their_roles(
    client: Client, alice: User, bob: User, community: Community
) -> None:
    client.force_login(alice)
    html = client.get(members_url(community)).content.decode()
    assert "Alice Coordinator" in html and "Bob Member" in html


def test_unknown_community_is_404(client: Client, alice: User) -> None:
    client.force_login(alice)
    assert client.get(reverse("community_members", args=["nope"])).status_code == 404


def test_a_role_change_takes_effect_on_the_next_request(
    client: Client, alice: User, bob: User, community: Community
) -> None:
    membership = Membership.objects.get(user=bob, community=community)
    client.force_login(alice)
    client.post(reverse("community_member_role", args=[community.slug, membership.pk]), {"role": "moderator"})
    assert Membership.objects.get(pk=membership.pk).role == Role.MODERATOR
    entry = AuditEntry.objects.get(action="membership.role_changed")
    assert (entry.actor, entry.data) == (alice, {"before": "member", "after": "moderator"})


def test_a_removed_member_loses_access_on_the_next_request(
    client: Client, alice: User, bob: User, community: Community
) -> None:
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(members_url(community)).status_code == 403  # a member: sees the community
    membership = Membership.objects.get(user=bob, community=community)

    client.force_login(alice)
    response = client.post(
        reverse("community_member_remove", args=[community.slug, membership.pk]), {"reason": "Left the job"}
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.get(action="membership.removed").reason == "Left the job"
    assert bob_client.get(members_url(community)).status_code == 404  # not a member any more
    assert bob_client.get(reverse("home")).context["memberships"] == []


def test_the_last_coordinator_cannot_be_removed_or_demoted(client: Client, alice: User, community: Community) -> None:
    membership = Membership.objects.get(user=alice, community=community)
    with pytest.raises(ValidationError) as error:
        membership_remove(actor=alice, membership=membership)
    assert error.value.code == "last_coordinator"
    with pytest.raises(ValidationError):
        membership_change_role(actor=alice, membership=membership, role=Role.MEMBER)
    client.force_login(alice)
    client.post(reverse("community_member_remove", args=[community.slug, membership.pk]))
    assert Membership.objects.get(pk=membership.pk).role == Role.COORDINATOR


def test_a_coordinator_can_step_down_when_another_remains(alice: User, community: Community) -> None:
    other = UserFactory(mfa=True)
    MembershipFactory(user=other, community=community, role=Role.COORDINATOR)
    membership_change_role(actor=alice, membership=Membership.objects.get(user=alice), role=Role.MEMBER)
    assert Membership.objects.get(user=alice).role == Role.MEMBER


def test_members_of_one_community_cannot_touch_another(client: Client, alice: User, community: Community) -> None:
    other_membership = MembershipFactory()
    client.force_login(alice)
    url = reverse("community_member_remove", args=[community.slug, other_membership.pk])
    assert client.post(url).status_code == 404
    url = reverse("community_member_remove", args=[other_membership.community.slug, other_membership.pk])
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=other_membership.pk).exists()


def test_removal_tells_the_persons_open_sockets_through_redis(
    alice: User, bob: User, community: Community, django_capture_on_commit_callbacks: OnCommit
) -> None:
    layer = get_channel_layer()
    membership = Membership.objects.get(user=bob, community=community)

    def remove() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            membership_remove(actor=alice, membership=membership)

    async def listen_while_removing() -> dict[str, Any]:
        # One event loop throughout: a pub/sub subscription lives on the loop that made it.
        channel = await layer.new_channel()
        await layer.group_add(user_group(bob.pk), channel)
        await sync_to_async(remove)()
        return await asyncio.wait_for(layer.receive(channel), timeout=5)

    assert async_to_sync(listen_while_removing)() == {"type": "access.changed", "community_id": community.pk}


def test_coordinators_change_the_community_settings(client: Client, alice: User, community: Community) -> None:
    client.force_login(alice)
    url = reverse("community_settings", args=[community.slug])
    rule = {
        "min_recognitions": 12,
        "min_municipalities": 4,
        "min_organisations": 2,
        "min_status_holder_recognitions": 1,
    }
    schedule = {
        "digest_weekday": 2,
        "digest_time": "07:15",
        "digest_approval": "on",
        "checkback_weeks": 6,
        "checkback_min_yes": 2,
        "checkback_yes_percent": 60,
        "open_data": "on",
    }
    response = client.post(
        url,
        {
            "name": "CoP Hart van Brabant",
            "description": "Samen",
            "language": "en",
            "open_for_applications": "",
            **rule,
            **schedule,
        },
    )
    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.name, community.description, community.language, community.open_for_applications) == (
        "CoP Hart van Brabant",
        "Samen",
        "en",
        False,
    )
    assert (community.min_recognitions, community.min_municipalities, community.min_status_holder_recognitions) == (
        12,
        4,
        1,
    )
    entry = AuditEntry.objects.get(action="community.settings_changed")
    assert entry.data["language"] == {"before": "nl", "after": "en"}
    assert entry.data["min_recognitions"] == {"before": 10, "after": 12}
    assert entry.data["digest_time"] == {"before": "08:00", "after": "07:15"}
    assert (community.digest_weekday, community.digest_approval) == (2, True)
    assert (community.checkback_weeks, community.checkback_min_yes, community.open_data) == (6, 2, True)
    assert client.post(url, {"name": "", "language": "xx"}).status_code == 200  # errors shown, nothing saved
    community.refresh_from_db()
    assert community.name == "CoP Hart van Brabant"


def test_the_audit_log_page_shows_the_communitys_entries_to_its_coordinators_only(
    client: Client, community: Community, alice: User, bob: User
) -> None:
    from community.audit import audit_record
    from tests.factories import CommunityFactory

    other = CommunityFactory(slug="elders")
    for number in range(55):
        audit_record(actor=alice, action="test.ours", subject=bob, community=community, reason=f"ours {number}")
    audit_record(actor=alice, action="test.theirs", subject=bob, community=other, reason="theirs")
    url = reverse("community_audit", args=[community.slug])

    client.force_login(alice)
    first = client.get(url)
    assert first.status_code == 200 and first.context["page"].paginator.count == 55
    html = first.content.decode()
    assert "ours 54" in html and "theirs" not in html and 'rel="next"' in html  # newest first, 50 a page
    assert "ours 0" in client.get(url, {"page": 2}).content.decode()

    client.force_login(bob)
    assert client.get(url).status_code == 403  # a member
    without_mfa = UserFactory()
    MembershipFactory(user=without_mfa, community=community, role=Role.COORDINATOR)
    client.force_login(without_mfa)
    assert client.get(url).status_code == 403  # the role waits for two-factor authentication
    client.force_login(alice)
    assert client.get(reverse("community_audit", args=[other.slug])).status_code == 404
