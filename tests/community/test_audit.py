"""The audit log: one way in, nothing changed or removed afterwards."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction

from community.audit import audit_entries_for, audit_record
from community.models import AppendOnlyError, AuditEntry, Community, Membership, User

pytestmark = pytest.mark.django_db


def test_audit_record_keeps_actor_action_subject_community_reason_and_details(
    community: Community, alice: User, bob: User
) -> None:
    membership = Membership.objects.get(user=bob, community=community)
    entry = audit_record(
        actor=alice,
        action="membership.role_changed",
        subject=membership,
        community=community,
        reason="Helps with moderation",
        data={"before": "member", "after": "moderator"},
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.action, entry.community, entry.reason) == (
        alice,
        "membership.role_changed",
        community,
        "Helps with moderation",
    )
    assert entry.subject_type.model_class() is Membership
    assert entry.subject_id == str(membership.pk)
    assert entry.data == {"before": "member", "after": "moderator"}
    assert list(audit_entries_for(membership)) == [entry]


def test_anonymous_actor_is_recorded_as_nobody() -> None:
    entry = audit_record(actor=AnonymousUser(), action="invitation.expired")  # type: ignore[arg-type]
    assert entry.actor is None


def test_entries_cannot_be_changed_or_removed_through_the_orm(alice: User) -> None:
    entry = audit_record(actor=alice, action="community.settings_changed")
    entry.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).reason == ""


def test_database_refuses_update_and_delete_behind_the_orms_back(alice: User) -> None:
    entry = audit_record(actor=alice, action="community.settings_changed")
    for sql in [
        "UPDATE community_auditentry SET reason = 'rewritten' WHERE id = %s",
        "UPDATE community_auditentry SET actor_id = NULL, reason = 'sneaky' WHERE id = %s",
        "DELETE FROM community_auditentry WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, reason="").exists()


def test_deleting_a_person_keeps_their_entries_without_the_actor(alice: User) -> None:
    entry = audit_record(actor=alice, action="community.settings_changed", reason="kept")
    alice.delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.reason) == (None, "kept")
