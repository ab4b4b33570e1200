"""Changes to people and their profiles. Views, the admin and commands call these."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest

from community.audit import audit_record
from community.models import Community, DigestTarget, Language, Municipality, Organisation, User, UserKind
from community.permissions import may_manage_settings
from community.realtime import session_ended
from community.text import storable_text


def profile_snapshot(user: User) -> dict[str, Any]:
    return {
        "municipalities": sorted(user.municipalities.values_list("cbs_code", flat=True)),
        "organisation": user.organisation.name if user.organisation_id and user.organisation else None,
    }


def profile_changes_record(*, actor: User | None, user: User, before: dict[str, Any]) -> None:
    """Log what changed in the fields recognitions take from the profile.

    A recognition records the person's municipality and organisation at that
    moment, so a change there must be traceable (PRODUCT.md, Recognitions).
    Caller passes the ``profile_snapshot`` taken before the change, inside
    the same transaction.
    """
    after = profile_snapshot(user)
    for field in ("municipalities", "organisation"):
        if before[field] != after[field]:
            audit_record(
                actor=actor,
                action=f"profile.{field}_changed",
                subject=user,
                data={"before": before[field], "after": after[field]},
            )


@transaction.atomic
def user_create(
    *,
    email: str,
    display_name: str,
    kind: UserKind = UserKind.PROFESSIONAL,
    password: str | None = None,
    pseudonymous: bool | None = None,
    municipalities: Iterable[Municipality] = (),
    organisation: Organisation | None = None,
    preferred_language: Language = Language.DUTCH,
) -> User:
    fields: dict[str, Any] = {
        "display_name": display_name,
        "kind": kind,
        "organisation": organisation,
        "preferred_language": preferred_language,
    }
    if pseudonymous is not None:
        fields["pseudonymous"] = pseudonymous
    user = User.objects.create_user(email, password, **fields)
    user.municipalities.set(municipalities)
    return user


@transaction.atomic
def user_signup_complete(*, user: User, display_name: str, kind: UserKind, preferred_language: Language) -> User:
    """What sign-up asks besides the address; status holders start pseudonymous."""
    user.display_name = display_name
    user.kind = kind
    user.preferred_language = preferred_language
    user.pseudonymous = kind == UserKind.STATUS_HOLDER
    user.save(update_fields=["display_name", "kind", "preferred_language", "pseudonymous"])
    return user


def user_sessions_end(*, user: User, keep: HttpRequest | None = None) -> None:
    """End every session of ``user`` on every device, and close their sockets after commit.

    Raising the generation changes the session auth hash: Django signs a session with the old hash out
    at its next request (and deletes it then), without a scan of the session table. ``keep`` is a request
    of the person whose session stays (a change they made themselves). Caller holds the user row lock.
    """
    user.session_generation += 1
    user.save(update_fields=["session_generation"])
    if keep is not None:
        update_session_auth_hash(keep, user)
        if getattr(keep.user, "pk", None) == user.pk:
            keep.user.session_generation = user.session_generation  # type: ignore[union-attr]
    session_ended(user_id=user.pk)


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User, reason: str = "") -> User:
    """Deactivate an account: signed out everywhere at once, sockets closed, nothing allowed from now on.

    ``actor`` is staff (the admin) or None (the system). Reactivating later does not bring an old session
    back. Idempotent: an account already inactive is left as it is.
    """
    if actor is not None and not (actor.is_active and actor.is_staff):
        raise PermissionDenied
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        user_sessions_end(user=locked)
        audit_record(actor=actor, action="account.deactivated", subject=locked, reason=reason)
    user.refresh_from_db()
    return user


_UNSET: Any = object()


@transaction.atomic
def profile_update(
    *,
    actor: User,
    user: User,
    display_name: str = _UNSET,
    pseudonymous: bool = _UNSET,
    pseudonym_label: str = _UNSET,
    municipalities: Iterable[Municipality] = _UNSET,
    organisation: Organisation | None = _UNSET,
    preferred_language: Language = _UNSET,
) -> User:
    """Change what is given; leave the rest. Municipality and organisation changes are audited."""
    before = profile_snapshot(user)
    if display_name is not _UNSET:
        display_name = storable_text(display_name)
    if pseudonym_label is not _UNSET:
        pseudonym_label = storable_text(pseudonym_label)
    changed: list[str] = []
    for field, value in (
        ("display_name", display_name),
        ("pseudonymous", pseudonymous),
        ("pseudonym_label", pseudonym_label),
        ("organisation", organisation),
        ("preferred_language", preferred_language),
    ):
        if value is not _UNSET and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.full_clean(exclude=["password"])
        user.save(update_fields=changed)
    if municipalities is not _UNSET:
        user.municipalities.set(municipalities)
    profile_changes_record(actor=actor, user=user, before=before)
    return user


ESCALATION_RULE = ("min_recognitions", "min_municipalities", "min_organisations", "min_status_holder_recognitions")
# Sent (sender=Community, community=…) after the commit that changed a community's escalation rule:
# the signals app evaluates the community's open signals again. (community imports no other app.)
escalation_rule_changed = Signal()

COMMUNITY_SETTINGS = (
    "name",
    "description",
    "language",
    "open_for_applications",
    *ESCALATION_RULE,
    "digest_weekday",
    "digest_time",
    "digest_approval",
    "checkback_weeks",
    "checkback_min_yes",
    "checkback_yes_percent",
    "open_data",
)


@transaction.atomic
def community_settings_update(*, actor: User, community: Community, **values: Any) -> Community:
    """Change the community's own settings (those in ``COMMUNITY_SETTINGS``); audited."""
    if not may_manage_settings(actor, community):
        raise PermissionDenied
    unknown = set(values) - set(COMMUNITY_SETTINGS)
    if unknown:
        raise TypeError(f"not community settings: {', '.join(sorted(unknown))}")
    changed = {
        name: {"before": _plain(getattr(community, name)), "after": _plain(value)}
        for name, value in values.items()
        if getattr(community, name) != value
    }
    if changed:
        for name in changed:
            setattr(community, name, values[name])
        community.full_clean()
        community.save(update_fields=list(changed))
        audit_record(
            actor=actor, action="community.settings_changed", subject=community, community=community, data=changed
        )
    if changed.keys() & set(ESCALATION_RULE):
        transaction.on_commit(lambda: escalation_rule_changed.send(sender=Community, community=community), robust=True)
    return community


def _plain(value: Any) -> Any:
    """A setting's value as the audit log's JSON keeps it (times as "08:00")."""
    return value.strftime("%H:%M") if isinstance(value, datetime.time) else value


@transaction.atomic
def digest_target_add(*, actor: User, community: Community, name: str, kind: str, emails: str) -> DigestTarget:
    """A recipient of the community's digests (the ministry concerned, Divosa, VNG, COA …); audited."""
    if not may_manage_settings(actor, community):
        raise PermissionDenied
    target = DigestTarget(community=community, name=name.strip(), kind=kind, emails=emails)
    target.full_clean()
    target.save()
    audit_record(
        actor=actor,
        action="community.digest_target_added",
        subject=community,
        community=community,
        data={"name": target.name, "kind": kind, "emails": target.addresses},
    )
    return target


@transaction.atomic
def digest_target_remove(*, actor: User, target: DigestTarget) -> None:
    community = target.community
    if not may_manage_settings(actor, community):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="community.digest_target_removed",
        subject=community,
        community=community,
        data={"name": target.name, "emails": target.addresses},
    )
    target.delete()
