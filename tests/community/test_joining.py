"""Joining a community: invitations (single use, 14 days, revocable, for one address) and applications."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import permissions
from community.joining import (
    application_decide,
    application_submit,
    invitation_accept,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
    invitations_for,
)
from community.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    Community,
    Invitation,
    Membership,
    Role,
    User,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OnCommit = Callable[..., Any]


def person(email: str) -> User:
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def link_token(message: EmailMessage) -> str:
    match = re.search(r"/invitations/([\w-]+)/", message.body)
    assert match, message.body
    return match.group(1)


def test_a_coordinator_invites_by_email_and_the_invitee_joins_with_that_role(
    client: Client,
    alice: User,
    community: Community,
    mailbox: list[EmailMessage],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _ = invitation_create(
            actor=alice, community=community, email="Eva@Example.org", role=Role.MODERATOR
        )
    assert invitation.email == "eva@example.org"
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    assert mailbox[0].to == ["eva@example.org"] and community.name in mailbox[0].subject
    token = link_token(mailbox[0])

    eva = person("eva@example.org")
    client.force_login(eva)
    assert "Eva" not in client.get(reverse("community_members", args=[community.slug])).content.decode()
    page = client.get(reverse("invitation", args=[token]))
    assert page.status_code == 200
    response = client.post(reverse("invitation", args=[token]))
    assert response["Location"] == reverse("home")
    assert Membership.objects.get(user=eva, community=community).role == Role.MODERATOR
    assert permissions.may_moderate(eva, community)
    assert list(AuditEntry.objects.filter(community=community).values_list("action", flat=True).order_by("pk")) == [
        "invitation.created",
        "invitation.accepted",
    ]


def test_an_invitation_works_once(alice: User, community: Community) -> None:
    invitation, _ = invitation_create(actor=alice, community=community, email="once@example.org", role=Role.MEMBER)
    user = person("once@example.org")
    invitation_accept(user=user, invitation=invitation)
    Membership.objects.filter(user=user).delete()
    with pytest.raises(ValidationError) as error:
        invitation_accept(user=user, invitation=invitation)
    assert error.value.code == "used"


def test_an_expired_invitation_is_refused(alice: User, community: Community) -> None:
    invitation, _ = invitation_create(actor=alice, community=community, email="late@example.org", role=Role.MEMBER)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        invitation_accept(user=person("late@example.org"), invitation=invitation)
    assert error.value.code == "expired"
    assert not Membership.objects.filter(user__email="late@example.org").exists()


def test_a_revoked_invitation_is_refused(client: Client, alice: User, community: Community) -> None:
    invitation, token = invitation_create(actor=alice, community=community, email="rev@example.org", role=Role.MEMBER)
    client.force_login(alice)
    client.post(reverse("community_invitation_withdraw", args=[community.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.revoked_by == alice
    user = person("rev@example.org")
    client.force_login(user)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("invitation", args=[token]), follow=True)
    assert "This invitation was withdrawn by a coordinator." in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()
    with pytest.raises(ValidationError):
        invitation_revoke(actor=alice, invitation=invitation)


def test_an_invitation_for_someone_else_is_refused(alice: User, community: Community) -> None:
    invitation, _ = invitation_create(actor=alice, community=community, email="right@example.org", role=Role.MEMBER)
    wrong = person("wrong@example.org")
    with pytest.raises(ValidationError) as error:
        invitation_accept(user=wrong, invitation=invitation)
    assert error.value.code == "wrong_person"
    # An address that is on the account but not verified does not count either.
    EmailAddress.objects.create(user=wrong, email="right@example.org", verified=False)
    with pytest.raises(ValidationError):
        invitation_accept(user=wrong, invitation=invitation)


def test_an_unknown_invitation_link_is_404(client: Client) -> None:
    assert client.get(reverse("invitation", args=["no-such-token"])).status_code == 404


def test_a_new_invitation_to_the_same_address_replaces_the_old_one(alice: User, community: Community) -> None:
    first, _ = invitation_create(actor=alice, community=community, email="twice@example.org", role=Role.MEMBER)
    second, token = invitation_create(actor=alice, community=community, email="twice@example.org", role=Role.MODERATOR)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert invitation_for_token(token) == second


def test_invitations_show_on_the_invitees_home_page_and_can_be_accepted_there(
    client: Client, alice: User, community: Community
) -> None:
    invitation, _ = invitation_create(actor=alice, community=community, email="home@example.org", role=Role.MEMBER)
    user = person("home@example.org")
    assert invitations_for(user) == [invitation]
    client.force_login(user)
    assert community.name in client.get(reverse("home")).content.decode()
    client.post(reverse("invitation_accept_mine", args=[invitation.pk]))
    assert Membership.objects.filter(user=user, community=community).exists()
    stranger = person("stranger@example.org")
    client.force_login(stranger)
    assert client.post(reverse("invitation_accept_mine", args=[invitation.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_only_coordinators_invite(client: Client, community: Community, persona: str, request: Any) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(PermissionDenied):
        invitation_create(actor=user, community=community, email="x@example.org", role=Role.MEMBER)
    client.force_login(user)
    response = client.post(
        reverse("community_invite", args=[community.slug]), {"email": "x@example.org", "role": "member"}
    )
    assert response.status_code == (403 if persona == "bob" else 404)
    assert not Invitation.objects.exists()


def test_an_applicant_sees_nothing_until_approved_then_becomes_a_member(
    client: Client,
    alice: User,
    community: Community,
    mailbox: list[EmailMessage],
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    applicant = person("applicant@example.org")
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("community_apply", args=[community.slug]), {"message": "I work in Goirle."})
    application = Application.objects.get(user=applicant)
    assert application.status == ApplicationStatus.PENDING
    assert mailbox[0].to == [alice.email] and "I work in Goirle." in mailbox[0].body
    assert not permissions.may_view_community(applicant, community)

    client.force_login(alice)
    assert "I work in Goirle." in client.get(reverse("community_members", args=[community.slug])).content.decode()
    mailbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("community_application_decide", args=[community.slug, application.pk]), {"decision": "approve"}
        )
    application.refresh_from_db()
    assert (application.status, application.decided_by) == (ApplicationStatus.APPROVED, alice)
    assert Membership.objects.get(user=applicant, community=community).role == Role.MEMBER
    assert mailbox[0].to == [applicant.email]
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {"application.submitted", "application.approved"}


def test_a_declined_applicant_is_told_why_and_stays_outside(
    alice: User, community: Community, mailbox: list[EmailMessage], django_capture_on_commit_callbacks: OnCommit
) -> None:
    applicant = person("declined@example.org")
    application = application_submit(user=applicant, community=community)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            application_decide(actor=alice, application=application, approve=False, reason="Not in the region") is None
        )
    assert "Not in the region" in mailbox[-1].body
    assert not Membership.objects.filter(user=applicant).exists()
    with pytest.raises(ValidationError) as error:
        application_decide(actor=alice, application=application, approve=True)
    assert error.value.code == "decided"


def test_one_pending_application_per_person_and_no_application_by_members(bob: User, community: Community) -> None:
    applicant = person("eager@example.org")
    application_submit(user=applicant, community=community)
    with pytest.raises(ValidationError) as error:
        application_submit(user=applicant, community=community)
    assert error.value.code == "already_applied"
    with pytest.raises(ValidationError) as error:
        application_submit(user=bob, community=community)
    assert error.value.code == "already_member"


def test_members_cannot_decide_applications(client: Client, bob: User, community: Community) -> None:
    application = application_submit(user=person("hopeful@example.org"), community=community)
    with pytest.raises(PermissionDenied):
        application_decide(actor=bob, application=application, approve=True)
    client.force_login(bob)
    url = reverse("community_application_decide", args=[community.slug, application.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403


def test_a_closed_community_takes_no_applications(client: Client, community: Community) -> None:
    community.open_for_applications = False
    community.save()
    client.force_login(person("closed@example.org"))
    assert client.post(reverse("community_apply", args=[community.slug])).status_code == 404
    assert not Application.objects.exists()


def test_an_invalid_decision_changes_nothing(
    client: Client, alice: User, community: Community, mailbox: list[EmailMessage]
) -> None:
    application = application_submit(user=person("undecided@example.org"), community=community)
    client.force_login(alice)
    url = reverse("community_application_decide", args=[community.slug, application.pk])
    client.post(url, {"decision": "maybe"})
    client.post(url, {"decision": "approve", "reason": "x" * 1001})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert not Membership.objects.filter(user=application.user).exists()


def test_application_mail_goes_only_to_coordinators_in_force_one_message_each(
    alice: User, community: Community, mailbox: list[EmailMessage], django_capture_on_commit_callbacks: OnCommit
) -> None:
    second = UserFactory(email="second@example.org", mfa=True)
    without_mfa = UserFactory(email="nomfa@example.org")
    for user in (second, without_mfa):
        Membership.objects.create(user=user, community=community, role=Role.COORDINATOR)
    with django_capture_on_commit_callbacks(execute=True):
        application_submit(user=person("new@example.org"), community=community, message="Hello")
    assert sorted(message.to for message in mailbox) == [["alice@example.org"], ["second@example.org"]]


def test_mail_subjects_are_plain_text(
    alice: User, community: Community, mailbox: list[EmailMessage], django_capture_on_commit_callbacks: OnCommit
) -> None:
    community.name = "Jeugd & Gezin 'West'"
    community.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_create(actor=alice, community=community, email="plain@example.org", role=Role.MEMBER)
    assert mailbox[0].subject.endswith("Jeugd & Gezin 'West'")


def test_an_overlong_address_is_a_form_error_not_a_crash(client: Client, alice: User, community: Community) -> None:
    client.force_login(alice)
    email = "a" * 250 + "@example.org"
    response = client.post(reverse("community_invite", args=[community.slug]), {"email": email, "role": "member"})
    assert response.status_code == 302
    assert not Invitation.objects.exists()


def test_invitations_are_limited_per_coordinator(
    alice: User, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("community.joining.INVITATIONS_PER_HOUR", 2)
    for number in range(2):
        invitation_create(actor=alice, community=community, email=f"p{number}@example.org", role=Role.MEMBER)
    with pytest.raises(ValidationError) as error:
        invitation_create(actor=alice, community=community, email="p3@example.org", role=Role.MEMBER)
    assert error.value.code == "too_many"


def test_the_audit_log_keeps_no_invited_address(alice: User, community: Community) -> None:
    invitation_create(actor=alice, community=community, email="private@example.org", role=Role.MEMBER)
    assert "private@example.org" not in str(list(AuditEntry.objects.values()))


def test_the_invitation_page_shows_only_a_hint_of_the_address(
    client: Client, alice: User, community: Community
) -> None:
    _, token = invitation_create(actor=alice, community=community, email="eva.de.vries@example.org", role=Role.MEMBER)
    html = client.get(reverse("invitation", args=[token])).content.decode()
    assert "e…@example.org" in html and "eva.de.vries@example.org" not in html


def test_a_demoted_coordinators_open_invitations_are_withdrawn(alice: User, community: Community) -> None:
    from community.memberships import membership_change_role

    other = UserFactory(mfa=True)
    Membership.objects.create(user=other, community=community, role=Role.COORDINATOR)
    invitation, _ = invitation_create(actor=alice, community=community, email="late@example.org", role=Role.COORDINATOR)
    membership_change_role(actor=other, membership=Membership.objects.get(user=alice), role=Role.MEMBER)
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None and invitation.revoked_by == other
    with pytest.raises(ValidationError):
        invitation_accept(user=person("late@example.org"), invitation=invitation)
