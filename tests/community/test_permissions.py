"""Every permission function, for every kind of person: the role table of PRODUCT.md."""

from __future__ import annotations

import inspect

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from community import permissions
from community.models import Community, Membership, Role, User, UserKind
from tests.factories import CommunityFactory, MembershipFactory, UserFactory

PERSONAS = [
    "anonymous",
    "outsider",
    "other_community_coordinator",
    "deactivated_member",
    "staff_non_member",
    "member",
    "status_holder_member",
    "moderator",
    "coordinator",
    "coordinator_without_mfa",
    "liaison",
    "liaison_without_mfa",
]

# A coordinator without MFA acts as a member until they enrol; a liaison without MFA
# only sees that they belong (member rights would show signals a liaison may not see).
PARTICIPANTS = {
    "member",
    "status_holder_member",
    "moderator",
    "coordinator",
    "coordinator_without_mfa",
}
EVERY_ROLE = PARTICIPANTS | {"liaison"}
MODERATORS = {"moderator", "coordinator"}
COORDINATORS = {"coordinator"}
ANSWERERS = {"coordinator", "liaison"}

EXPECTED: dict[str, set[str]] = {
    "may_view_community": EVERY_ROLE | {"liaison_without_mfa"},
    "may_view_unreported_signals": PARTICIPANTS,
    "may_view_reported_signals": EVERY_ROLE,
    "may_view_digest_drafts": COORDINATORS,
    "may_view_sent_digests": EVERY_ROLE,
    "may_view_dashboard": ANSWERERS,
    "may_report": PARTICIPANTS,
    "may_recognise": PARTICIPANTS,
    "may_discuss": PARTICIPANTS,
    "may_follow": PARTICIPANTS,
    "may_flag": PARTICIPANTS,
    "may_moderate": MODERATORS,
    "may_merge_signals": MODERATORS,
    "may_handle_flags": MODERATORS,
    "may_mark_key_points": MODERATORS,
    "may_resolve_locally": MODERATORS,
    "may_manage_members": COORDINATORS,
    "may_manage_settings": COORDINATORS,
    "may_read_audit_log": COORDINATORS,
    "may_escalate": COORDINATORS,
    "may_approve_digests": COORDINATORS,
    "may_change_status": COORDINATORS,
    "may_reveal_pseudonym": COORDINATORS,
    "may_record_answers": ANSWERERS,
}


def make_persona(name: str, community: Community) -> User | AnonymousUser:
    if name == "anonymous":
        return AnonymousUser()
    if name == "outsider":
        return UserFactory()
    if name == "other_community_coordinator":
        user = UserFactory(mfa=True)
        MembershipFactory(user=user, community=CommunityFactory(), role=Role.COORDINATOR)
        return user
    if name == "staff_non_member":
        return UserFactory(is_staff=True, is_superuser=True, mfa=True)
    if name == "deactivated_member":
        user = UserFactory(is_active=False)
        MembershipFactory(user=user, community=community, role=Role.MEMBER)
        return user
    if name == "status_holder_member":
        user = UserFactory(kind=UserKind.STATUS_HOLDER)
        MembershipFactory(user=user, community=community, role=Role.MEMBER)
        return user
    role_name, _, without_mfa = name.partition("_without_")
    user = UserFactory(mfa=not without_mfa)
    MembershipFactory(user=user, community=community, role=Role(role_name))
    return user


def test_every_permission_function_is_in_the_table() -> None:
    functions = {name for name, _ in inspect.getmembers(permissions, inspect.isfunction) if name.startswith("may_")}
    assert functions == set(EXPECTED)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_permissions_match_the_role_table_for(persona: str) -> None:
    community = CommunityFactory()
    user = make_persona(persona, community)
    answers = {name: getattr(permissions, name)(user, community) for name in EXPECTED}
    expected = {name: persona in allowed for name, allowed in EXPECTED.items()}
    assert answers == expected


@pytest.mark.django_db
def test_a_role_change_takes_effect_on_the_next_question(community: Community, bob: User) -> None:
    assert not permissions.may_moderate(bob, community)
    Membership.objects.filter(user=bob, community=community).update(role=Role.MODERATOR)
    assert permissions.may_moderate(bob, community)
    Membership.objects.filter(user=bob, community=community).delete()
    assert not permissions.may_view_community(bob, community)


@pytest.mark.django_db
def test_coordinator_without_mfa_is_told_the_role_awaits_enrolment(community: Community) -> None:
    user = UserFactory()
    MembershipFactory(user=user, community=community, role=Role.COORDINATOR)
    standing = permissions.role_standing(user, community)
    assert standing is not None
    assert (standing.role, standing.effective, standing.awaiting_mfa) == (Role.COORDINATOR, Role.MEMBER, True)
    liaison = UserFactory()
    MembershipFactory(user=liaison, community=community, role=Role.LIAISON)
    standing = permissions.role_standing(liaison, community)
    assert standing is not None and (standing.effective, standing.awaiting_mfa) == (None, True)


@pytest.mark.django_db
def test_recovery_codes_alone_do_not_count_as_mfa(community: Community) -> None:
    from allauth.mfa.models import Authenticator

    user = UserFactory()
    MembershipFactory(user=user, community=community, role=Role.COORDINATOR)
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    assert permissions.effective_role(user, community) == Role.MEMBER


@pytest.mark.django_db
def test_a_permission_question_costs_one_query(
    community: Community, alice: User, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert permissions.may_manage_members(alice, community)


@pytest.mark.django_db
def test_access_community_answers_404_for_unknown_and_not_yours_alike(community: Community, charlie: User) -> None:
    with pytest.raises(Http404):
        permissions.access_community(charlie, "no-such-community")
    with pytest.raises(Http404):
        permissions.access_community(charlie, community.slug)
    with pytest.raises(Http404):
        permissions.access_community(AnonymousUser(), community.slug)


@pytest.mark.django_db
def test_access_community_answers_403_when_visible_but_not_allowed(
    community: Community, alice: User, bob: User
) -> None:
    assert permissions.access_community(bob, community.slug) == community
    with pytest.raises(PermissionDenied):
        permissions.access_community(bob, community.slug, may=permissions.may_manage_members)
    assert permissions.access_community(alice, community.slug, may=permissions.may_manage_members) == community


@pytest.mark.django_db
def test_communities_visible_to_lists_only_memberships_of_active_people(
    community: Community, bob: User, charlie: User
) -> None:
    CommunityFactory()
    assert list(permissions.communities_visible_to(bob)) == [community]
    assert list(permissions.communities_visible_to(charlie)) == []
    assert list(permissions.communities_visible_to(AnonymousUser())) == []
    bob.is_active = False
    assert list(permissions.communities_visible_to(bob)) == []


@pytest.mark.django_db
def test_remembering_roles_asks_once_per_page_and_forgets_afterwards(
    community: Community, alice: User, bob: User, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    other = CommunityFactory()
    with permissions.remembering_roles():
        with django_assert_num_queries(1):  # type: ignore[operator]
            permissions.role_standings(bob)
            assert permissions.may_report(bob, community)
            assert not permissions.may_moderate(bob, community)
            assert not permissions.may_view_community(bob, other)  # known: not a member
        with django_assert_num_queries(1):  # type: ignore[operator]
            assert permissions.may_manage_members(alice, community)
            assert permissions.may_escalate(alice, community)
    Membership.objects.filter(user=bob).update(role=Role.MODERATOR)
    assert permissions.may_moderate(bob, community)  # outside the block: asked afresh
