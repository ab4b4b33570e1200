"""Joining a community: invitations by coordinators, applications decided by coordinators.

Until one of these gives a person a membership, they see no community content.
Every invitation and decision is in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from community.audit import audit_record
from community.mail import absolute_url, mail_after_commit
from community.models import (
    INVITATION_VALIDITY,
    Application,
    ApplicationStatus,
    Community,
    Invitation,
    Membership,
    Role,
    User,
    UserManager,
)
from community.permissions import may_manage_members, mfa_enrolled
from community.ratelimit import rate_limit_hit


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _coordinator_emails(community: Community) -> list[str]:
    """Addresses of the coordinators whose role is in force (two-factor enrolled)."""
    return list(
        User.objects.filter(memberships__community=community, memberships__role=Role.COORDINATOR, is_active=True)
        .filter(mfa_enrolled("pk"))
        .values_list("email", flat=True)
    )


# Invitations and applications send mail to addresses people type in: limited per person.
INVITATIONS_PER_HOUR = 50
APPLICATIONS_PER_DAY = 5


def _limit(scope: str, user: User, *, limit: int, period: int) -> None:
    if not rate_limit_hit(scope, str(user.pk), limit=limit, period=period).allowed:
        raise ValidationError(_("You have done this too often; try again later."), code="too_many")


# --- Invitations -------------------------------------------------------------


@transaction.atomic
def invitation_create(*, actor: User, community: Community, email: str, role: Role) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role``; return the invitation and the secret its link carries.

    A still-pending invitation to the same address for the same community is
    revoked: the newest link is the only one that works.
    """
    if not may_manage_members(actor, community):
        raise PermissionDenied
    _limit("invitation.create", actor, limit=INVITATIONS_PER_HOUR, period=3600)
    email = UserManager.normalize_email(email)
    if Membership.objects.filter(community=community, user__email=email).exists():
        raise ValidationError(_("This person is already a member of the community."), code="already_member")
    now = timezone.now()
    superseded = Invitation.objects.filter(
        community=community, email=email, accepted_at=None, revoked_at=None, expires_at__gt=now
    )
    for old in superseded.select_for_update():
        audit_record(actor=actor, action="invitation.superseded", subject=old, community=community)
    superseded.update(revoked_at=now, revoked_by=actor)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        community=community,
        email=email,
        role=role,
        invited_by=actor,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    # The address stays on the invitation (which can be deleted), not in the append-only log.
    audit_record(actor=actor, action="invitation.created", subject=invitation, community=community, data={"role": role})
    mail_after_commit(
        to=[email],
        template="community/email/invitation",
        context={
            "community": community,
            "inviter": actor,
            "role": Role(role).label,  # lazy: rendered in the community's language
            "url": absolute_url(reverse("invitation", args=[token])),
            "expires_at": invitation.expires_at,
        },
        language=community.language,
    )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    if not may_manage_members(actor, invitation.community):
        raise PermissionDenied
    revoked = Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    if not revoked:
        raise ValidationError(_("This invitation is no longer open."), code="not_pending")
    audit_record(actor=actor, action="invitation.revoked", subject=invitation, community=invitation.community)


def email_hint(email: str) -> str:
    """Enough of an address to know which account to use, not enough to learn it: ``e…@example.org``."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def invitation_for_token(token: str) -> Invitation | None:
    return Invitation.objects.select_related("community", "invited_by").filter(token_hash=_hash(token)).first()


def _verified_emails(user: User) -> set[str]:
    emails = set(EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True))
    return {UserManager.normalize_email(email) for email in emails}


def invitations_for(user: User) -> list[Invitation]:
    """Open invitations addressed to one of the person's verified email addresses."""
    return list(
        Invitation.objects.filter(
            email__in=_verified_emails(user), accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
        )
        .exclude(community__memberships__user=user)
        .select_related("community", "invited_by")
    )


@transaction.atomic
def invitation_accept(*, user: User, invitation: Invitation) -> Membership:
    """Turn the invitation into a membership, once, for the person it was sent to.

    The invitation comes from its link (``invitation_for_token``) or from the
    person's own list (``invitations_for``); either way it is checked again
    here under a row lock, so two clicks cannot both use it.
    """
    invitation = Invitation.objects.select_for_update().select_related("community").get(pk=invitation.pk)
    if invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was withdrawn by a coordinator."), code="revoked")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask a coordinator for a new one."), code="expired")
    if invitation.email not in _verified_emails(user):
        raise ValidationError(
            _("This invitation was sent to another email address. Sign in with that address."),
            code="wrong_person",
        )
    community = invitation.community
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, community=community, role=invitation.role)
    except IntegrityError:
        raise ValidationError(_("You are already a member of this community."), code="already_member") from None
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # An application still waiting for the same community is answered by this.
    for application in Application.objects.filter(user=user, community=community, status=ApplicationStatus.PENDING):
        with translation.override(community.language):
            application.reason = _("Joined by invitation.")
        application.status = ApplicationStatus.APPROVED
        application.decided_at = invitation.accepted_at
        application.decided_by = invitation.invited_by
        application.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        audit_record(actor=user, action="application.approved", subject=application, community=community)
    audit_record(
        actor=user,
        action="invitation.accepted",
        subject=invitation,
        community=community,
        data={"role": invitation.role},
    )
    return membership


# --- Applications --------------------------------------------------------------


@transaction.atomic
def application_submit(*, user: User, community: Community, message: str = "") -> Application:
    _limit("application.submit", user, limit=APPLICATIONS_PER_DAY, period=86400)
    if not community.open_for_applications:
        raise ValidationError(_("This community does not take applications; ask a coordinator for an invitation."))
    if Membership.objects.filter(user=user, community=community).exists():
        raise ValidationError(_("You are already a member of this community."), code="already_member")
    try:
        with transaction.atomic():
            application = Application.objects.create(user=user, community=community, message=message.strip())
    except IntegrityError:
        raise ValidationError(
            _("You have already applied; a coordinator will decide soon."), code="already_applied"
        ) from None
    audit_record(actor=user, action="application.submitted", subject=application, community=community)
    mail_after_commit(
        to=_coordinator_emails(community),
        template="community/email/application_received",
        context={
            "community": community,
            "applicant": user,
            "message": application.message,
            "url": absolute_url(reverse("community_members", args=[community.slug])),
        },
        language=community.language,
    )
    return application


@transaction.atomic
def application_decide(*, actor: User, application: Application, approve: bool, reason: str = "") -> Membership | None:
    """Approve (the person becomes a member) or decline; the applicant is told either way."""
    community = application.community
    if not may_manage_members(actor, community):
        raise PermissionDenied
    status = ApplicationStatus.APPROVED if approve else ApplicationStatus.DECLINED
    decided = Application.objects.filter(pk=application.pk, status=ApplicationStatus.PENDING).update(
        status=status, decided_at=timezone.now(), decided_by=actor, reason=reason.strip()
    )
    if not decided:
        raise ValidationError(_("This application has already been decided."), code="decided")
    membership = None
    if approve:
        membership, _created = Membership.objects.get_or_create(
            user=application.user, community=community, defaults={"role": Role.MEMBER}
        )
    audit_record(
        actor=actor,
        action=f"application.{status}",
        subject=application,
        community=community,
        reason=reason,
    )
    mail_after_commit(
        to=[application.user.email],
        template="community/email/application_decided",
        context={
            "community": community,
            "approved": approve,
            "reason": reason.strip(),
            "url": absolute_url(reverse("home")),
        },
        language=application.user.preferred_language,
    )
    return membership
