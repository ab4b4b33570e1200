"""What each app keeps about a person, for the rights of PRODUCT.md (Privacy): export, erasure, retention.

``community`` imports no other app of ours, yet the export and the erasure
must cover what ``signals`` and ``notifications`` keep. So each app registers
a section here from its ``AppConfig.ready()`` (its own ``personal_data``
module): an exporter that returns the person's part of the download, an
eraser that removes what is personal in its tables, and optionally purges
that enforce its retention periods. ``personal_data_export`` and
``community.erasure.account_erase`` then work over every registered section,
whatever apps are installed.

Exporters return plain JSON values (str, int, bool, None, lists, dicts);
dates as ISO 8601 strings. Erasers run inside the erasure's transaction with
the person's row locked and before their name and address are replaced, so
they can still read them (e.g. to take an @mention of the name out of other
people's messages).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from community.models import ApiToken, Application, AuditEntry, Invitation, Membership, User

Exporter = Callable[[User], Any]
Eraser = Callable[[User], None]
Purge = Callable[[datetime.datetime], int]
"""Given "now", removes what has outlived its retention period; returns how many rows it changed."""


@dataclass(frozen=True)
class Section:
    name: str
    exporter: Exporter
    eraser: Eraser


_sections: dict[str, Section] = {}
_purges: dict[str, Purge] = {}


def personal_data_register(*, name: str, exporter: Exporter, eraser: Eraser) -> None:
    """Add (or, when an app is loaded again, replace) a section of the export and its eraser."""
    _sections[name] = Section(name=name, exporter=exporter, eraser=eraser)


def retention_register(*, name: str, purge: Purge) -> None:
    """Add a purge the daily retention task runs (``community.retention.retention_enforce``)."""
    _purges[name] = purge


def personal_data_sections() -> list[Section]:
    return list(_sections.values())


def retention_purges() -> dict[str, Purge]:
    return dict(_purges)


def iso(value: datetime.datetime | datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


EXPORT_FORMAT = 1


def personal_data_export(user: User) -> dict[str, Any]:
    """The whole download: every registered section, keyed by its name, in registration order."""
    document: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": iso(datetime.datetime.now(tz=datetime.UTC)),
    }
    for section in personal_data_sections():
        document[section.name] = section.exporter(user)
    return document


# --- The community app's own sections -------------------------------------------------------------


def _profile(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "display_name": user.display_name,
        "kind": user.kind,
        "pseudonymous": user.pseudonymous,
        "pseudonym_label": user.pseudonym_label,
        "municipalities": [
            {"name": m.name, "cbs_code": m.cbs_code} for m in user.municipalities.order_by("name", "pk")
        ],
        "organisation": user.organisation.name if user.organisation is not None else None,
        "preferred_language": user.preferred_language,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
    }


def _memberships(user: User) -> list[dict[str, Any]]:
    return [
        {"community": m.community.name, "slug": m.community.slug, "role": m.role, "since": iso(m.created_at)}
        for m in Membership.objects.filter(user=user).select_related("community").order_by("created_at", "pk")
    ]


def _applications(user: User) -> list[dict[str, Any]]:
    return [
        {
            "community": a.community.name,
            "message": a.message,
            "status": a.status,
            "sent": iso(a.created_at),
            "decided": iso(a.decided_at),
            "reason": a.reason,
        }
        for a in Application.objects.filter(user=user).select_related("community").order_by("created_at", "pk")
    ]


def _invitations(user: User) -> list[dict[str, Any]]:
    return [
        {
            "community": i.community.name,
            "role": i.role,
            "sent": iso(i.created_at),
            "expires": iso(i.expires_at),
            "accepted": iso(i.accepted_at),
            "revoked": iso(i.revoked_at),
        }
        for i in Invitation.objects.filter(email=user.email).select_related("community").order_by("created_at", "pk")
    ]


def _api_tokens(user: User) -> list[dict[str, Any]]:
    # Names and dates only: the key is never stored, and its hash and prefix are of no use to anyone.
    return [
        {"name": t.name, "created": iso(t.created_at), "last_used": iso(t.last_used_at), "revoked": iso(t.revoked_at)}
        for t in ApiToken.objects.filter(user=user).order_by("created_at", "pk")
    ]


def audit_entries_about(user: User) -> Any:
    """The audit entries where the person acted, or whose subject is their account."""
    from django.contrib.contenttypes.models import ContentType

    user_type = ContentType.objects.get_for_model(User)
    return AuditEntry.objects.filter(Q(actor=user) | Q(subject_type=user_type, subject_id=str(user.pk)))


def _audit(user: User) -> list[dict[str, Any]]:
    entries = audit_entries_about(user).select_related("community", "subject_type").order_by("created_at", "pk")
    return [
        {
            "time": iso(e.created_at),
            "action": e.action,
            "by_me": e.actor_id == user.pk,
            "subject": f"{e.subject_type.model}:{e.subject_id}" if e.subject_type is not None else None,
            "community": e.community.name if e.community is not None else None,
            "reason": e.reason,
            "details": e.data,
        }
        for e in entries
    ]


def community_sections_register() -> None:
    """The community app's sections; the first of the download. Its eraser is ``community.erasure``'s."""
    from community import erasure

    personal_data_register(name="profile", exporter=_profile, eraser=lambda user: None)
    personal_data_register(name="memberships", exporter=_memberships, eraser=erasure.memberships_erase)
    personal_data_register(name="applications", exporter=_applications, eraser=erasure.applications_erase)
    personal_data_register(name="invitations", exporter=_invitations, eraser=erasure.invitations_erase)
    personal_data_register(name="api_tokens", exporter=_api_tokens, eraser=erasure.sign_in_erase)
    personal_data_register(name="audit", exporter=_audit, eraser=lambda user: None)
