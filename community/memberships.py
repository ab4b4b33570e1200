"""Adding, changing and ending memberships.

Coordinators do this on the members page (``membership_change_role``,
``membership_remove``, which check their right); staff do it in the admin,
which calls the ``*_by_staff`` variants. Both paths share the same rules,
audit rows and socket notice.

Locking: every change locks the community row first, then the membership
rows it reads. One order for everyone, so two coordinators changing each
other at the same moment wait for each other instead of deadlocking.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.audit import audit_record
from community.models import Community, Invitation, Membership, Role, User
from community.permissions import may_manage_members
from community.realtime import access_changed


def _lock_community(community_id: int) -> None:
    Community.objects.select_for_update().filter(pk=community_id).first()


def _ensure_another_coordinator(membership: Membership) -> None:
    """Refuse to leave the community without a coordinator. Caller holds the community lock."""
    coordinators = Membership.objects.filter(community_id=membership.community_id, role=Role.COORDINATOR)
    if not coordinators.exclude(pk=membership.pk).exists():
        raise ValidationError(
            _("A community needs at least one coordinator. Make someone else coordinator first."),
            code="last_coordinator",
        )


def _withdraw_invitations_of(actor: User, membership: Membership) -> None:
    """A coordinator who steps down takes their open invitations with them."""
    open_invitations = Invitation.objects.filter(
        community_id=membership.community_id,
        invited_by_id=membership.user_id,
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=timezone.now(),
    )
    for invitation in open_invitations:
        audit_record(
            actor=actor,
            action="invitation.revoked",
            subject=invitation,
            community=membership.community,
            reason="inviter is no longer coordinator",
        )
    open_invitations.update(revoked_at=timezone.now(), revoked_by=actor)


def _change_role(*, actor: User, membership: Membership, role: Role, reason: str) -> Membership:
    """Caller holds the community lock and has checked the actor's right."""
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    before = Role(membership.role)
    if before == role:
        return membership
    if before == Role.COORDINATOR:
        _ensure_another_coordinator(membership)
        _withdraw_invitations_of(actor, membership)
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        actor=actor,
        action="membership.role_changed",
        subject=membership.user,
        community=membership.community,
        reason=reason,
        data={"before": before, "after": role},
    )
    access_changed(user_id=membership.user_id, community_id=membership.community_id)
    return membership


def _remove(*, actor: User, membership: Membership, reason: str) -> None:
    """Caller holds the community lock and has checked the actor's right."""
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if membership.role == Role.COORDINATOR:
        _ensure_another_coordinator(membership)
        _withdraw_invitations_of(actor, membership)
    audit_record(
        actor=actor,
        action="membership.removed",
        subject=membership.user,
        community=membership.community,
        reason=reason,
        data={"role": membership.role},
    )
    membership.delete()
    access_changed(user_id=membership.user_id, community_id=membership.community_id)


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: Role, reason: str = "") -> Membership:
    _lock_community(membership.community_id)
    # Asked under the lock: the actor may have lost the role a moment ago.
    if not may_manage_members(actor, membership.community):
        raise PermissionDenied
    return _change_role(actor=actor, membership=membership, role=role, reason=reason)


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership, reason: str = "") -> None:
    """End a membership at once: the person sees nothing of the community from the next request on."""
    _lock_community(membership.community_id)
    if not may_manage_members(actor, membership.community):
        raise PermissionDenied
    _remove(actor=actor, membership=membership, reason=reason)


def _require_staff(actor: User) -> None:
    if not (actor.is_active and actor.is_staff):
        raise PermissionDenied


@transaction.atomic
def membership_add_by_staff(*, actor: User, user: User, community: Community, role: Role) -> Membership:
    """Staff start a community (its first coordinator) in the admin; audited like any change."""
    _require_staff(actor)
    _lock_community(community.pk)
    membership = Membership.objects.create(user=user, community=community, role=role)
    audit_record(actor=actor, action="membership.added", subject=user, community=community, data={"role": role})
    return membership


@transaction.atomic
def membership_change_role_by_staff(*, actor: User, membership: Membership, role: Role) -> Membership:
    _require_staff(actor)
    _lock_community(membership.community_id)
    return _change_role(actor=actor, membership=membership, role=role, reason="")


@transaction.atomic
def membership_remove_by_staff(*, actor: User, membership: Membership) -> None:
    _require_staff(actor)
    _lock_community(membership.community_id)
    _remove(actor=actor, membership=membership, reason="")
