"""Every action PRODUCT.md has audited is in the audit log, and only those who may read the log can.

One table, ``AUDITED``: the action as PRODUCT.md names it, how to perform it through its domain function
(the production path of pages, API and admin), and the audit action it must leave. Each row is a test of its
own, so a missing entry names the action. ``perform`` returns what the entry must say: actor, subject and
community.

Who reads the log: the community's coordinators on /communities/<slug>/audit/, and staff in the Django admin
(who edit global data); nobody else. A member, a moderator, a liaison and a coordinator of another community
cannot read those entries through any path (page, admin, API, their own data export).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.audit import audit_entries_for
from community.erasure import account_deletion_request, account_erase
from community.joining import (
    application_decide,
    application_submit,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from community.memberships import membership_change_role, membership_remove
from community.models import AuditEntry, Community, DigestTarget, Membership, Municipality, Role, User, UserKind
from community.services import community_settings_update, digest_target_add, user_deactivate
from signals import digests
from signals.discussion import message_post, message_set_hidden
from signals.escalation import signal_evaluate
from signals.models import Digest, DigestItem, Message, Signal, Status, Theme
from signals.services import signal_author_reveal, signal_create, signal_hide, signal_merge, signal_restore
from signals.workflow import signal_transition
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.signals.conftest import MakeMember, community, housing, make_member  # noqa: F401

pytestmark = pytest.mark.django_db

SLOT = datetime.datetime(2026, 11, 16, 8, 0, tzinfo=timezone.get_default_timezone())


@dataclass
class World:
    community: Community
    other: Community
    coordinator: User
    moderator: User
    member: User
    liaison: User
    other_coordinator: User
    status_holder: User
    theme: Theme
    tilburg: Municipality

    def report(self, title: str, *, by: User | None = None) -> Signal:
        return signal_create(
            actor=by or self.member,
            community=self.community,
            title=title,
            description=f"Wat er gebeurt: {title}.",
            theme=self.theme,
            municipality=self.tilburg,
        )

    def escalated(self, title: str) -> Signal:
        return signal_transition(
            actor=self.coordinator, signal=self.report(title), to=Status.ESCALATED, reason="Speelt in de hele regio."
        )

    def reported(self, title: str) -> Signal:
        return signal_transition(actor=None, signal=self.escalated(title), to=Status.REPORTED)

    def message(self) -> Message:
        posted, _new = message_post(actor=self.member, signal=self.report("Een gesprek"), body="Hier ook zo.")
        return posted

    def draft(self, *titles: str) -> Digest:
        for title in titles:
            self.escalated(title)
        # A slot of its own: the all-in-one test below compiles several drafts.
        slot = SLOT + datetime.timedelta(weeks=Digest.objects.filter(community=self.community).count())
        digest = digests.digest_compile(self.community, slot)
        assert digest is not None
        return digest

    def newcomer(self, part: str) -> User:
        """An account with a verified address, in no community yet."""
        email = f"{part}-{uuid.uuid4().hex[:8]}@example.org"
        user = UserFactory(email=email)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user


@pytest.fixture
def world(community: Community, make_member: MakeMember, housing: Theme) -> World:  # noqa: F811
    other = CommunityFactory(region=community.region, slug="cop-elders", name="CoP Elders")
    other_coordinator = UserFactory(display_name="Otto Other", mfa=True)
    MembershipFactory(user=other_coordinator, community=other, role=Role.COORDINATOR)
    community.open_for_applications = True
    community.save(update_fields=["open_for_applications"])
    return World(
        community=community,
        other=other,
        coordinator=make_member(role=Role.COORDINATOR, display_name="Cora Coordinator"),
        moderator=make_member(role=Role.MODERATOR, display_name="Mo Moderator"),
        member=make_member("GM0766", display_name="Mia Member"),
        liaison=make_member(role=Role.LIAISON, display_name="Lia Liaison"),
        other_coordinator=other_coordinator,
        status_holder=make_member(kind=UserKind.STATUS_HOLDER, display_name="Samira"),
        theme=housing,
        tilburg=Municipality.objects.get(cbs_code="GM0855"),
    )


@dataclass(frozen=True)
class Expected:
    actor: User | None
    subject: models.Model
    community: Community | None


Perform = Callable[[World], Expected]


# --- How each action is performed -----------------------------------------------------------------


def _role_change(w: World) -> Expected:
    membership = Membership.objects.get(user=w.member, community=w.community)
    membership_change_role(actor=w.coordinator, membership=membership, role=Role.MODERATOR, reason="Helpt mee")
    return Expected(w.coordinator, w.member, w.community)


def _invitation_create(w: World) -> Expected:
    invitation, _token = invitation_create(
        actor=w.coordinator, community=w.community, email="nieuw@example.org", role=Role.MEMBER
    )
    return Expected(w.coordinator, invitation, w.community)


def _invitation_revoke(w: World) -> Expected:
    invitation, _token = invitation_create(
        actor=w.coordinator, community=w.community, email="nieuw@example.org", role=Role.MEMBER
    )
    invitation_revoke(actor=w.coordinator, invitation=invitation)
    return Expected(w.coordinator, invitation, w.community)


def _invitation_accept(w: World) -> Expected:
    invitee = w.newcomer("invitee")
    invitation, _token = invitation_create(
        actor=w.coordinator, community=w.community, email=invitee.email, role=Role.MEMBER
    )
    invitation_accept(user=invitee, invitation=invitation)
    return Expected(invitee, invitation, w.community)


def _application(approve: bool) -> Perform:
    def perform(w: World) -> Expected:
        application = application_submit(user=w.newcomer("applicant"), community=w.community)
        application_decide(actor=w.coordinator, application=application, approve=approve, reason="Besproken")
        return Expected(w.coordinator, application, w.community)

    return perform


def _member_removal(w: World) -> Expected:
    membership = Membership.objects.get(user=w.member, community=w.community)
    membership_remove(actor=w.coordinator, membership=membership, reason="Vertrokken")
    return Expected(w.coordinator, w.member, w.community)


def _pseudonym_reveal(w: World) -> Expected:
    signal = w.report("Geen plek op de taalschool", by=w.status_holder)
    signal_author_reveal(actor=w.coordinator, signal=signal, reason="Melding bij de politie")
    return Expected(w.coordinator, signal, w.community)


def _signal_hide(w: World) -> Expected:
    signal = w.report("Scheldpartij")
    signal_hide(actor=w.moderator, signal=signal, reason="Beledigend")
    return Expected(w.moderator, signal, w.community)


def _signal_restore(w: World) -> Expected:
    signal = w.report("Scheldpartij")
    signal_hide(actor=w.moderator, signal=signal, reason="Beledigend")
    signal_restore(actor=w.moderator, signal=signal, reason="Toch in orde")
    return Expected(w.moderator, signal, w.community)


def _message_hide(w: World) -> Expected:
    message = w.message()
    message_set_hidden(actor=w.moderator, message=message, hidden=True, reason="Beledigend")
    return Expected(w.moderator, message, w.community)


def _message_restore(w: World) -> Expected:
    message = w.message()
    message_set_hidden(actor=w.moderator, message=message, hidden=True, reason="Beledigend")
    message_set_hidden(actor=w.moderator, message=message, hidden=False, reason="Toch in orde")
    return Expected(w.moderator, message, w.community)


def _merge(w: World) -> Expected:
    duplicate, survivor = w.report("Dubbel"), w.report("Het origineel")
    signal_merge(actor=w.moderator, source=duplicate, target=survivor, reason="Hetzelfde knelpunt")
    return Expected(w.moderator, duplicate, w.community)


def _escalation_by_rule(w: World) -> Expected:
    signal = w.report("Breed herkend")
    w.community.min_recognitions = w.community.min_municipalities = w.community.min_organisations = 1
    w.community.save(update_fields=["min_recognitions", "min_municipalities", "min_organisations"])
    decision = signal_evaluate(signal.pk)
    assert decision is not None and decision.escalated
    return Expected(None, signal, w.community)


def _escalation_by_hand(w: World) -> Expected:
    return Expected(w.coordinator, w.escalated("Landelijke regel"), w.community)


def _digest_approval(w: World) -> Expected:
    DigestTarget.objects.create(community=w.community, name="Ministerie", kind="ministry", emails="szw@example.org")
    digest = w.draft("Wachtlijst woningen")
    digests.digest_approve(actor=w.coordinator, digest=digest)
    return Expected(w.coordinator, digest, w.community)


def _digest_hold_back(w: World) -> Expected:
    digest = w.draft("Wachtlijst woningen")
    item = DigestItem.objects.get(digest=digest)
    digests.item_hold_back(actor=w.coordinator, item=item, reason="Eerst navragen")
    return Expected(w.coordinator, item.signal, w.community)


def _digest_include(w: World) -> Expected:
    digest = w.draft("Wachtlijst woningen")
    item = DigestItem.objects.get(digest=digest)
    digests.item_hold_back(actor=w.coordinator, item=item, reason="Eerst navragen")
    digests.item_include(actor=w.coordinator, item=item, digest=digest)
    return Expected(w.coordinator, item.signal, w.community)


def _digest_sent(w: World) -> Expected:
    return Expected(None, w.reported("Verstuurd"), w.community)


def _answer(w: World) -> Expected:
    signal = signal_transition(
        actor=w.liaison,
        signal=w.reported("Vraag aan het ministerie"),
        to=Status.ANSWERED,
        reason="De regel wordt herzien.",
        on_behalf_of="het ministerie van SZW",
    )
    return Expected(w.liaison, signal, w.community)


def _resolve(w: World) -> Expected:
    signal = signal_transition(
        actor=w.moderator, signal=w.report("Lokaal op te lossen"), to=Status.RESOLVED_LOCALLY, lesson="Zo ging het."
    )
    return Expected(w.moderator, signal, w.community)


def _reopen(w: World) -> Expected:
    signal = signal_transition(
        actor=w.moderator, signal=w.report("Lokaal op te lossen"), to=Status.RESOLVED_LOCALLY, lesson="Zo ging het."
    )
    signal_transition(actor=w.coordinator, signal=signal, to=Status.OPEN, reason="Het speelt weer.")
    return Expected(w.coordinator, signal, w.community)


def _close(w: World) -> Expected:
    signal = signal_transition(actor=w.coordinator, signal=w.report("Klaar"), to=Status.CLOSED, outcome="solved")
    return Expected(w.coordinator, signal, w.community)


def _settings_change(w: World) -> Expected:
    community_settings_update(actor=w.coordinator, community=w.community, min_recognitions=5)
    return Expected(w.coordinator, w.community, w.community)


def _digest_target(w: World) -> Expected:
    digest_target_add(actor=w.coordinator, community=w.community, name="VNG", kind="vng", emails="vng@example.org")
    return Expected(w.coordinator, w.community, w.community)  # the community: a target can be removed


def _deletion_request(w: World) -> Expected:
    account_deletion_request(actor=w.member, user=w.member)
    return Expected(w.member, w.member, None)


def _account_deactivated(w: World) -> Expected:
    staff = UserFactory(is_staff=True, display_name="Sam Staff")
    user_deactivate(actor=staff, user=w.member, reason="misbruik gemeld")
    return Expected(staff, w.member, None)


def _account_erased(w: World) -> Expected:
    account_erase(actor=w.member, user=w.member, reason="requested by the person")
    return Expected(w.member, w.member, None)


def _account_erased_leaves(w: World) -> Expected:
    account_erase(actor=w.member, user=w.member, reason="requested by the person")
    return Expected(None, w.member, w.community)


# (what PRODUCT.md names, how it is done, the audit action it leaves)
AUDITED: list[tuple[str, Perform, str]] = [
    ("role change", _role_change, "membership.role_changed"),
    ("invitation created", _invitation_create, "invitation.created"),
    ("invitation revoked", _invitation_revoke, "invitation.revoked"),
    ("invitation accepted", _invitation_accept, "invitation.accepted"),
    ("application approved", _application(approve=True), "application.approved"),
    ("application declined", _application(approve=False), "application.declined"),
    ("member removed", _member_removal, "membership.removed"),
    ("pseudonym revealed", _pseudonym_reveal, "pseudonym.revealed"),
    ("signal hidden", _signal_hide, "signal.hidden"),
    ("signal restored", _signal_restore, "signal.restored"),
    ("message hidden", _message_hide, "message.hidden"),
    ("message restored", _message_restore, "message.restored"),
    ("signals merged", _merge, "signal.merged"),
    ("escalated by the rule", _escalation_by_rule, "signal.escalated"),
    ("escalated by hand", _escalation_by_hand, "signal.escalated"),
    ("digest approved", _digest_approval, "digest.approved"),
    ("digest item held back", _digest_hold_back, "digest.item_held_back"),
    ("digest item included", _digest_include, "digest.item_included"),
    ("reported by a sent digest", _digest_sent, "signal.reported"),
    ("answer recorded", _answer, "signal.answered"),
    ("resolved locally", _resolve, "signal.resolved_locally"),
    ("reopened", _reopen, "signal.reopened"),
    ("closed", _close, "signal.closed"),
    ("community settings changed", _settings_change, "community.settings_changed"),
    ("digest target added", _digest_target, "community.digest_target_added"),
    ("account deletion requested", _deletion_request, "account.deletion_requested"),
    ("account deactivated", _account_deactivated, "account.deactivated"),
    ("account deleted", _account_erased, "account.erased"),
    ("account deleted: leaves its communities", _account_erased_leaves, "membership.removed"),
]


def _entry_for(expected: Expected, action: str, since: int) -> AuditEntry:
    entries = audit_entries_for(expected.subject).filter(pk__gt=since, action=action)
    assert entries.count() == 1, f"{action} on {expected.subject!r}: {list(entries.values('action', 'actor'))}"
    return entries.get()


@pytest.mark.parametrize(("name", "perform", "action"), AUDITED, ids=[row[0] for row in AUDITED])
def test_the_action_is_in_the_audit_log_with_actor_subject_and_community_when_performed(
    world: World, name: str, perform: Perform, action: str
) -> None:
    since = AuditEntry.objects.aggregate(last=models.Max("pk"))["last"] or 0
    expected = perform(world)
    entry = _entry_for(expected, action, since)
    assert (entry.actor, entry.community) == (expected.actor, expected.community), name


# --- Who can read the log -------------------------------------------------------------------------


def _export_of(client: Client) -> list[dict[str, object]]:
    response = client.post(reverse("privacy_export"))
    assert response.status_code == 200
    return json.loads(response.content)["audit"]  # type: ignore[no-any-return]


@pytest.mark.usefixtures("posting_limits_lifted")  # one member reports every signal of the table
def test_only_the_coordinators_and_staff_read_the_log_when_every_audited_action_has_been_performed(
    world: World,
) -> None:
    """After every action of the table in one community, its entries are out of reach of everyone but that
    community's coordinators (their audit page) and staff (the admin): the others get 403 or 404 there, the
    admin refuses them, no API resource serves the log, and a person's own data export holds only the entries
    about them (here: none, as these readers did nothing audited)."""
    readers = {
        "member": UserFactory(display_name="Other Member"),
        "moderator": UserFactory(display_name="Other Moderator"),
        "liaison": UserFactory(display_name="Other Liaison", mfa=True),
        "coordinator of another community": world.other_coordinator,
    }
    for role, key in (("member", Role.MEMBER), ("moderator", Role.MODERATOR), ("liaison", Role.LIAISON)):
        MembershipFactory(user=readers[role], community=world.community, role=key)
    since = AuditEntry.objects.aggregate(last=models.Max("pk"))["last"] or 0
    for _name, perform, _action in AUDITED:
        if perform not in (
            _account_deactivated,
            _account_erased,
            _account_erased_leaves,
            _member_removal,
            _role_change,
        ):
            perform(world)  # (the member's removal and erasure would end the later rows' world)
    entries = list(AuditEntry.objects.filter(pk__gt=since))
    assert {entry.action for entry in entries} >= {action for _n, _p, action in AUDITED} - {
        "account.deactivated",
        "account.erased",
        "membership.removed",
        "membership.role_changed",
    }

    audit_page = reverse("community_audit", args=[world.community.slug])
    coordinator = Client()
    coordinator.force_login(world.coordinator)
    shown = coordinator.get(audit_page)
    assert shown.status_code == 200
    ours = {entry.action for entry in entries if entry.community_id == world.community.pk}
    assert ours and ours <= {entry.action for entry in shown.context["page"].object_list}
    assert all(entry.community_id == world.community.pk for entry in shown.context["page"].object_list)

    changelist = reverse("admin:community_auditentry_changelist")
    pages = [changelist, *(reverse("admin:community_auditentry_change", args=[e.pk]) for e in entries[:5])]
    # The community's own coordinator reads the log on its page, not in the admin (staff only).
    for role, reader in {**readers, "coordinator of this community": world.coordinator}.items():
        client = Client()
        client.force_login(reader)
        if reader != world.coordinator:
            refused = client.get(audit_page).status_code
            assert refused == (404 if reader == world.other_coordinator else 403), (role, refused)
        for page in pages:
            response = client.get(page)
            assert response.status_code == 302 and "login" in response["Location"], (role, page)
        own = _export_of(client)
        # Their own data: what they did themselves (the coordinator did most of the table), nothing else.
        assert all(entry["by_me"] for entry in own) if reader == world.coordinator else own == [], role
        api = client.get("/api/v1/audit/", HTTP_ACCEPT="application/json")
        assert api.status_code == 404, role
        schema = client.get(reverse("api_schema"))
        assert schema.status_code == 200 and b"audit" not in schema.content.lower(), role

    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    listed = client.get(changelist)
    assert listed.status_code == 200
    assert b"pseudonym.revealed" in listed.content and b"digest.approved" in listed.content
