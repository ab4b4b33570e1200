"""Changing and ending memberships; coordinators do this on the members page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from community.audit import audit_record
from community.models import Membership, Role, User
from community.permissions import may_manage_members
from community.realtime import access_changed


def _ensure_another_coordinator(membership: Membership) -> None:
    """Refuse to leave the community without a coordinator.

    Locks the community's coordinator memberships, so two coordinators
    removing each other at the same moment cannot both succeed.
    """
    coordinators = list(
        Membership.objects.select_for_update()
        .filter(community_id=membership.community_id, role=Role.COORDINATOR)
        .values_list("pk", flat=True)
    )
    if coordinators == [membership.pk]:
        raise ValidationError(
            _("A community needs at least one coordinator. Make someone else coordinator first."),
            code="last_coordinator",
        )


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: Role, reason: str = "") -> Membership:
    if not may_manage_members(actor, membership.community):
        raise PermissionDenied
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    before = membership.role
    if before == role:
        return membership
    if before == Role.COORDINATOR:
        _ensure_another_coordinator(membership)
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


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership, reason: str = "") -> None:
    """End a membership at once: the person sees nothing of the community from the next request on."""
    if not may_manage_members(actor, membership.community):
        raise PermissionDenied
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.COORDINATOR:
        _ensure_another_coordinator(membership)
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
