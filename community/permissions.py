"""Who may do what in a community: the role table of PRODUCT.md, in one place.

Every question is one function ``may_<action>(user, community) -> bool``.
Pages, the API and WebSocket consumers all ask these, so the answers cannot
drift between them. Access helpers (``access_*``) fetch and authorise at once:
something that does not exist and something the person may not see answer the
same, with 404.

Rules that hold for every question:

* anonymous and deactivated people may do nothing;
* a person's abilities come only from their membership role, never from their
  profile kind (professional or status holder) nor from being staff;
* a role that requires multi-factor authentication does not take effect until
  the person enrols (PRODUCT.md: "Anyone with a coordinator or liaison role
  must use MFA"): a coordinator acts as a member meanwhile; a liaison, whose
  role reads less than a member's in one respect (signals before they are
  reported), falls back to nothing but seeing that they belong, so waiting
  for enrolment never widens what anyone sees.

Each call asks the database afresh (one query), so a role change or removal
takes effect on the very next request or socket message. A page that asks many
questions can wrap its reading in ``remembering_roles()``: inside that block a
person's standing is asked once. Never wrap a change in it: the domain
functions re-check rights under their locks and must see the latest role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from community.models import Community, Membership, Role, User

# Authenticators that are a second factor by themselves; recovery codes are a fallback.
MFA_AUTHENTICATOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
ROLES_REQUIRING_MFA = frozenset({Role.COORDINATOR, Role.LIAISON})

# Roles of people who take part in the community's daily work.
PARTICIPANTS = frozenset({Role.MEMBER, Role.MODERATOR, Role.COORDINATOR})
MODERATORS = frozenset({Role.MODERATOR, Role.COORDINATOR})
COORDINATORS = frozenset({Role.COORDINATOR})
ANSWERERS = frozenset({Role.COORDINATOR, Role.LIAISON})
ANY_ROLE = frozenset(Role)

PersonLike = User | AnonymousUser


@dataclass(frozen=True)
class RoleStanding:
    """A person's membership role in one community and whether it is in force."""

    role: Role
    has_mfa: bool

    @property
    def effective(self) -> Role | None:
        """The role in force; None for a liaison awaiting enrolment (see the module's rules)."""
        if self.role in ROLES_REQUIRING_MFA and not self.has_mfa:
            return Role.MEMBER if self.role == Role.COORDINATOR else None
        return self.role

    @property
    def awaiting_mfa(self) -> bool:
        """The role is held back until the person enrols a second factor."""
        return self.effective != self.role


def mfa_enrolled(user_ref: str = "user") -> Exists:
    """True where the row's person (``user_ref``) has a second factor enrolled."""
    return Exists(Authenticator.objects.filter(user=OuterRef(user_ref), type__in=MFA_AUTHENTICATOR_TYPES))


@dataclass
class _Remembered:
    standings: dict[tuple[int, int], RoleStanding | None]
    complete: set[int]
    """People whose every membership is known: a community missing from ``standings`` is not theirs."""


_remembered: ContextVar[_Remembered | None] = ContextVar("remembered_roles", default=None)


@contextmanager
def remembering_roles() -> Iterator[None]:
    """Within this block each person's standing in each community is asked once (for building a page)."""
    token = _remembered.set(_Remembered(standings={}, complete=set()))
    try:
        yield
    finally:
        _remembered.reset(token)


def role_standing(user: PersonLike, community: Community) -> RoleStanding | None:
    """The person's role in the community, or None when they may see nothing of it."""
    if not user.is_authenticated or not user.is_active:
        return None
    memo = _remembered.get()
    key = (user.pk, community.pk)
    if memo is not None and (key in memo.standings or user.pk in memo.complete):
        return memo.standings.get(key)
    assert isinstance(user, User)  # noqa: S101 -- an authenticated person is a User
    standing = _ask_standing(user, community)
    if memo is not None:
        memo.standings[key] = standing
    return standing


def _ask_standing(user: User, community: Community) -> RoleStanding | None:
    row = (
        Membership.objects.filter(user_id=user.pk, community_id=community.pk)
        .annotate(has_mfa=mfa_enrolled())
        .values_list("role", "has_mfa")
        .first()
    )
    if row is None:
        return None
    return RoleStanding(role=Role(row[0]), has_mfa=row[1])


def role_standings(user: PersonLike) -> dict[int, RoleStanding]:
    """The person's standing in each of their communities, by community id, in one query."""
    if not user.is_authenticated or not user.is_active:
        return {}
    rows = (
        Membership.objects.filter(user_id=user.pk)
        .annotate(has_mfa=mfa_enrolled())
        .values_list("community_id", "role", "has_mfa")
    )
    standings = {community_id: RoleStanding(role=Role(role), has_mfa=has_mfa) for community_id, role, has_mfa in rows}
    memo = _remembered.get()
    if memo is not None:
        # What we just learnt answers later questions in the block, including "not a member".
        memo.standings.update({(user.pk, community_id): standing for community_id, standing in standings.items()})
        memo.complete.add(user.pk)
    return standings


def standings_in(community: Community, user_ids: Iterable[int]) -> dict[int, RoleStanding]:
    """The standing of each of these people in the community, by user id, in one query.

    For deciding whom to tell about something (the notification recipients):
    people without a membership, and deactivated accounts, are left out.
    """
    rows = (
        Membership.objects.filter(community_id=community.pk, user_id__in=list(user_ids), user__is_active=True)
        .annotate(has_mfa=mfa_enrolled())
        .values_list("user_id", "role", "has_mfa")
    )
    return {user_id: RoleStanding(role=Role(role), has_mfa=has_mfa) for user_id, role, has_mfa in rows}


def effective_role(user: PersonLike, community: Community) -> Role | None:
    standing = role_standing(user, community)
    return None if standing is None else standing.effective


def _has_role(user: PersonLike, community: Community, roles: frozenset[Role]) -> bool:
    return effective_role(user, community) in roles


# --- Reading -----------------------------------------------------------------


def may_view_community(user: PersonLike, community: Community) -> bool:
    """Belongs to it (a liaison awaiting two-factor enrolment too: they are told what is missing)."""
    return role_standing(user, community) is not None


def may_view_unreported_signals(user: PersonLike, community: Community) -> bool:
    """Signals before they are reported to the targets; liaisons see them from `reported` on."""
    return _has_role(user, community, PARTICIPANTS)


def may_view_reported_signals(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, ANY_ROLE)


def may_view_digest_drafts(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, COORDINATORS)


def may_view_sent_digests(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, ANY_ROLE)


def may_view_dashboard(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, ANSWERERS)


# --- Members' daily work ----------------------------------------------------


def may_report(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, PARTICIPANTS)


def may_recognise(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, PARTICIPANTS)


def may_discuss(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, PARTICIPANTS)


def may_follow(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, PARTICIPANTS)


def may_flag(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, PARTICIPANTS)


# --- Moderation --------------------------------------------------------------


def may_moderate(user: PersonLike, community: Community) -> bool:
    """Hide and restore messages and signals."""
    return _has_role(user, community, MODERATORS)


def may_merge_signals(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, MODERATORS)


def may_handle_flags(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, MODERATORS)


def may_mark_key_points(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, MODERATORS)


def may_resolve_locally(user: PersonLike, community: Community) -> bool:
    """open → resolved_locally, with the lesson written down."""
    return _has_role(user, community, MODERATORS)


# --- Coordination ------------------------------------------------------------


def may_manage_members(user: PersonLike, community: Community) -> bool:
    """Members, roles, invitations and applications."""
    return _has_role(user, community, COORDINATORS)


def may_manage_settings(user: PersonLike, community: Community) -> bool:
    """Name and description, escalation rule, digest schedule and targets."""
    return _has_role(user, community, COORDINATORS)


def may_read_audit_log(user: PersonLike, community: Community) -> bool:
    """The community's audit log: who changed what, revealed whom, hid what, and why."""
    return _has_role(user, community, COORDINATORS)


def may_escalate(user: PersonLike, community: Community) -> bool:
    """Escalate a signal by hand, with a reason."""
    return _has_role(user, community, COORDINATORS)


def may_approve_digests(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, COORDINATORS)


def may_change_status(user: PersonLike, community: Community) -> bool:
    """Resolve, close and reopen signals."""
    return _has_role(user, community, COORDINATORS)


def may_reveal_pseudonym(user: PersonLike, community: Community) -> bool:
    """Always with a reason, always audited."""
    return _has_role(user, community, COORDINATORS)


def may_record_answers(user: PersonLike, community: Community) -> bool:
    return _has_role(user, community, ANSWERERS)


def signal_scopes(user: PersonLike) -> tuple[set[int], set[int]]:
    """Community ids where the person sees every signal, and where only reported ones (liaisons)."""
    everything: set[int] = set()
    reported_only: set[int] = set()
    for community_id, standing in role_standings(user).items():
        if standing.effective in PARTICIPANTS:
            everything.add(community_id)
        elif standing.effective in ANY_ROLE:
            reported_only.add(community_id)
    return everything, reported_only


# --- Fetch and authorise -----------------------------------------------------


def communities_visible_to(user: PersonLike) -> QuerySet[Community]:
    """The communities a person belongs to (any role); none for the anonymous or deactivated."""
    if not user.is_authenticated or not user.is_active:
        return Community.objects.none()
    return Community.objects.filter(memberships__user_id=user.pk)


Check = Callable[[PersonLike, Community], bool]


def access_community(user: PersonLike, slug: str, *, may: Check = may_view_community) -> Community:
    """The community named by ``slug`` if the person may see it and do ``may`` in it.

    Unknown, or not the person's: 404. Visible but the action is not theirs: 403.
    """
    community = Community.objects.filter(slug=slug).first()
    if community is None or not may_view_community(user, community):
        raise Http404
    if may is not may_view_community and not may(user, community):
        raise PermissionDenied
    return community
