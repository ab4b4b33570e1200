"""Reads that pages share. Writes live in the services; permissions in community.permissions."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.utils import timezone

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
from community.permissions import RoleStanding, mfa_enrolled


def memberships_of(user: User) -> list[tuple[Membership, RoleStanding]]:
    """The person's memberships with their standing (is the role in force?), by community name; one query."""
    rows = (
        Membership.objects.filter(user=user)
        .annotate(has_mfa=mfa_enrolled())
        .select_related("community")
        .order_by("community__name")
    )
    return [(m, RoleStanding(role=Role(m.role), has_mfa=m.has_mfa)) for m in rows]


def pending_applications(communities: Iterable[Community]) -> dict[int, list[Application]]:
    by_community: dict[int, list[Application]] = {c.pk: [] for c in communities}
    for application in (
        Application.objects.filter(community__in=list(by_community), status=ApplicationStatus.PENDING)
        .select_related("user")
        .order_by("created_at")
    ):
        by_community[application.community_id].append(application)
    return by_community


def communities_to_join(user: User) -> QuerySet[Community]:
    """Open communities the person is not in and has no pending application for."""
    return (
        Community.objects.filter(open_for_applications=True)
        .exclude(memberships__user=user)
        .exclude(applications__user=user, applications__status=ApplicationStatus.PENDING)
        .order_by("name")
    )


def audit_entries_of(community: Community) -> QuerySet[AuditEntry]:
    """The community's audit log, newest first, with who acted and the kind of thing it was about."""
    return AuditEntry.objects.filter(community=community).select_related("actor", "subject_type")


def members_of(community: Community) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(community=community)
        .select_related("user", "user__organisation")
        .order_by("user__display_name", "pk")
    )


def open_invitations(community: Community) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        community=community, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    ).select_related("invited_by")
