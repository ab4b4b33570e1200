"""The audit log's single way in."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from community.models import AuditEntry, Community, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    subject: models.Model | None = None,
    community: Community | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call it inside the transaction that makes the change,
    so the change and its record commit or roll back together."""
    entry = AuditEntry(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        community=community,
        reason=reason,
        data=data or {},
    )
    if subject is not None:
        entry.subject_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
        entry.subject_id = str(subject.pk)
    entry.save()
    return entry


def audit_entries_for(subject: models.Model) -> models.QuerySet[AuditEntry]:
    content_type = ContentType.objects.get_for_model(subject, for_concrete_model=False)
    return AuditEntry.objects.filter(subject_type=content_type, subject_id=str(subject.pk))
