"""Privacy rights: the download of one's data, the deletion of one's account, retention, the statement."""

from __future__ import annotations

import datetime
import io
import json
import re
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from community.audit import audit_entries_for
from community.erasure import ALLOWED_AUDIT_FIELDS, account_erase
from community.joining import application_submit, invitation_create
from community.memberships import membership_change_role
from community.models import (
    ApiToken,
    Application,
    AuditEntry,
    Community,
    DeletionCode,
    Invitation,
    Membership,
    Role,
    User,
)
from community.personal_data import personal_data_export
from community.retention import retention_enforce
from community.tokens import api_token_create
from notifications.models import MailStatus, Notification, Preference
from notifications.services import mail_failed, preferences_set
from signals.discussion import message_post
from signals.models import Follow, Mention, Message, Recognition, Signal, Theme
from signals.services import recognition_add, signal_create, signal_follow
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.signals.conftest import community, housing, make_member  # noqa: F401 -- the region's community

pytestmark = pytest.mark.django_db

BOB_EMAIL, BOB_NAME = "bob@example.org", "Bob Member"


@pytest.fixture
def bobs_life(
    alice: User,
    bob: User,
    dilara: User,
    community: Community,  # noqa: F811
    housing: Theme,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Any]:
    """Bob has done and been part of everything that leaves personal data behind."""
    tilburg = bob.municipalities.get()
    EmailAddress.objects.create(user=bob, email=bob.email, verified=True, primary=True)
    alice.municipalities.set([tilburg])
    with django_capture_on_commit_callbacks(execute=True):
        alices = signal_create(
            actor=alice,
            community=community,
            title="Geen taalcursus",
            description="Wachtlijst.",
            theme=housing,
            municipality=tilburg,
        )
        bobs = signal_create(
            actor=bob,
            community=community,
            title="Huurtoeslag te laat",
            description="De toeslag komt drie maanden te laat.",
            theme=housing,
            municipality=tilburg,
        )
        recognition_add(actor=bob, signal=alices)
        own_message, _created = message_post(actor=bob, signal=alices, body="Herkenbaar, ook bij ons in Tilburg.")
        mention, _created = message_post(actor=alice, signal=bobs, body=f"@{BOB_NAME} kun jij dit navragen?")
        message_post(actor=dilara, signal=bobs, body="Ik heb dit ook.")
        signal_follow(actor=bob, signal=alices)
        preferences_set(user=bob, frequencies={"message": "weekly"})
        _token, key = api_token_create(user=bob, name="spreadsheet")
        membership_change_role(
            actor=alice,
            membership=Membership.objects.get(user=bob, community=community),
            role=Role.MODERATOR,
            reason=f"{BOB_NAME} asked to help moderate",
        )
        elsewhere = CommunityFactory(name="CoP Werk", region=community.region)
        MembershipFactory(user=alice, community=elsewhere, role=Role.COORDINATOR)
        invitation_create(actor=alice, community=elsewhere, email=BOB_EMAIL, role=Role.MEMBER)
        open_one = CommunityFactory(name="CoP Onderwijs", region=community.region, open_for_applications=True)
        application_submit(user=bob, community=open_one, message="Ik werk ook met jongeren.")
    # After the mails above were sent (a delivered mail clears the failure count).
    mail_failed(user_id=bob.pk, hard=True, error=f"550 5.1.1 <{BOB_EMAIL}>: no such user")
    return {"alices": alices, "bobs": bobs, "own_message": own_message, "mention": mention, "key": key}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Download -----------------------------------------------------------------------------------------


def test_download_holds_every_section_but_no_token_key_when_a_member_asks(bobs_life: dict[str, Any], bob: User) -> None:
    response = signed_in(bob).post(reverse("privacy_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="knooppunt-my-data-')
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    document = json.loads(response.content)
    profile = document["profile"]
    assert profile["email"] == BOB_EMAIL and profile["display_name"] == BOB_NAME
    assert profile["kind"] == "professional" and profile["pseudonymous"] is False
    assert profile["municipalities"] == [{"name": "Tilburg", "cbs_code": "GM0855"}]
    assert profile["organisation"] == "VluchtelingenWerk" and profile["preferred_language"] == "nl"
    assert profile["date_joined"]
    assert [m["role"] for m in document["memberships"]] == ["moderator"]
    assert [s["title"] for s in document["signals"]] == ["Huurtoeslag te laat"]
    assert {r["signal_title"] for r in document["recognitions"]} == {"Geen taalcursus", "Huurtoeslag te laat"}
    assert [m["body"] for m in document["messages"]] == ["Herkenbaar, ook bij ons in Tilburg."]
    assert {f["signal"] for f in document["follows"]} == {bobs_life["alices"].pk, bobs_life["bobs"].pk}
    assert {n["kind"] for n in document["notifications"]} >= {"mention"}
    assert document["notification_settings"]["email"] == {"message": "weekly"}
    assert document["check_back_answers"] == []
    assert [a["message"] for a in document["applications"]] == ["Ik werk ook met jongeren."]
    assert [i["community"] for i in document["invitations"]] == ["CoP Werk"]
    assert [t["name"] for t in document["api_tokens"]] == ["spreadsheet"]
    assert set(document["api_tokens"][0]) == {"name", "created", "last_used", "revoked"}
    actions = {(e["action"], e["by_me"]) for e in document["audit"]}
    assert ("api_token.created", True) in actions and ("membership.role_changed", False) in actions
    raw = response.content.decode()
    token = ApiToken.objects.get(user=bob)
    assert bobs_life["key"] not in raw and token.key_hash not in raw and token.prefix not in raw


def test_download_is_only_for_the_signed_in_person_when_anonymous(client: Client) -> None:
    response = client.post(reverse("privacy_export"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("privacy_settings")).status_code == 302


def test_command_prints_the_same_document_when_the_email_exists(bobs_life: dict[str, Any], bob: User) -> None:
    out = io.StringIO()
    call_command("export_user_data", "BOB@example.org", stdout=out)
    printed = json.loads(out.getvalue())
    expected = personal_data_export(bob)
    printed.pop("exported_at"), expected.pop("exported_at")
    assert printed == json.loads(json.dumps(expected))


def test_command_fails_clearly_when_the_email_is_unknown(db: None) -> None:
    with pytest.raises(CommandError, match="No account has the email address 'nobody@example.org'"):
        call_command("export_user_data", "nobody@example.org")


# --- Deletion -----------------------------------------------------------------------------------------


def code_from(mailbox: list[Any], email: str) -> str:
    [message] = [m for m in mailbox if m.to == [email]]
    return re.search(r"^(\d{6})$", message.body, re.MULTILINE).group(1)  # type: ignore[union-attr]


def ask_code(client: Client, captured: Any) -> None:
    with captured(execute=True):
        response = client.post(reverse("privacy_delete_request"))
    assert response.status_code == 302


def test_account_is_erased_and_contributions_stay_when_the_emailed_code_is_entered(
    bobs_life: dict[str, Any], bob: User, alice: User, mailbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(bob)
    page = client.get(reverse("privacy_settings")).content.decode()
    assert reverse("privacy_statement") in page and reverse("privacy_export") in page
    ask_code(client, django_capture_on_commit_callbacks)
    code = code_from(mailbox, BOB_EMAIL)
    assert DeletionCode.objects.get(user=bob).code_hash != code  # only a keyed hash is stored
    assert "one-time-code" in client.get(reverse("privacy_settings")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("privacy_delete_confirm"), {"code": code})
    assert response.status_code == 302 and response["Location"] == reverse("privacy_statement")

    bob.refresh_from_db()
    assert bob.erased_at is not None and not bob.is_active and not bob.has_usable_password()
    assert bob.email.endswith("@erased.invalid") and bob.display_name == "" and str(bob) == "een oud-lid"
    assert bob.organisation is None and not bob.municipalities.exists()
    assert not bob.pseudonymous and bob.pseudonym_label == ""
    for model in (Membership, ApiToken, Application, Preference, MailStatus, Follow, DeletionCode):
        assert not model.objects.filter(user=bob).exists(), model
    assert not Notification.objects.filter(recipient=bob).exists()
    assert not EmailAddress.objects.filter(user=bob).exists()
    assert not Invitation.objects.filter(email=BOB_EMAIL).exists()
    assert not Mention.objects.filter(user=bob).exists()
    # Signed out here and everywhere else.
    assert client.get(reverse("privacy_settings")).status_code == 302
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(bob.pk)]
    # What Bob wrote stays, by "a former member"; his recognition keeps its municipality and organisation.
    bobs = Signal.objects.get(pk=bobs_life["bobs"].pk)
    assert bobs.author_id == bob.pk
    assert Message.objects.get(pk=bobs_life["own_message"].pk).body == "Herkenbaar, ook bij ons in Tilburg."
    recognition = Recognition.objects.get(user=bob, signal=bobs_life["alices"])
    assert recognition.municipality.name == "Tilburg" and recognition.organisation.name == "VluchtelingenWerk"
    assert Message.objects.get(pk=bobs_life["mention"].pk).body == "@een oud-lid kun jij dit navragen?"
    detail = signed_in(alice).get(reverse("signal_detail", args=[bobs.pk])).content.decode()
    assert "een oud-lid" in detail and BOB_NAME not in detail
    # The deletion is in the audit log, by the account's id only.
    [entry] = audit_entries_for(bob).filter(action="account.erased")
    assert entry.actor_id == bob.pk and entry.reason == "requested by the person"
    assert BOB_EMAIL not in json.dumps(entry.data) and BOB_NAME not in entry.reason


def test_nothing_is_erased_and_the_code_is_used_up_when_it_is_wrong_five_times(
    bob: User, mailbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(bob)
    ask_code(client, django_capture_on_commit_callbacks)
    code = code_from(mailbox, BOB_EMAIL)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for attempt in range(1, DeletionCode.MAX_ATTEMPTS):
        response = client.post(reverse("privacy_delete_confirm"), {"code": wrong})
        assert "Die code klopt niet." in response.content.decode()
        assert DeletionCode.objects.get(user=bob).attempts == attempt
    client.post(reverse("privacy_delete_confirm"), {"code": wrong})
    assert not DeletionCode.objects.filter(user=bob).exists()
    # The right code no longer works either: the person asks again.
    client.post(reverse("privacy_delete_confirm"), {"code": code})
    bob.refresh_from_db()
    assert bob.is_active and bob.erased_at is None and bob.email == BOB_EMAIL


def test_code_is_refused_when_it_has_expired(
    bob: User, mailbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(bob)
    ask_code(client, django_capture_on_commit_callbacks)
    DeletionCode.objects.filter(user=bob).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(reverse("privacy_delete_confirm"), {"code": code_from(mailbox, BOB_EMAIL)})
    assert response.status_code == 200
    bob.refresh_from_db()
    assert bob.is_active and bob.erased_at is None


def test_codes_are_refused_when_asked_for_too_often(
    bob: User, mailbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(bob)
    for _attempt in range(3):
        ask_code(client, django_capture_on_commit_callbacks)
    ask_code(client, django_capture_on_commit_callbacks)
    assert len(mailbox) == 3


def test_deletion_is_refused_when_the_person_is_the_last_coordinator(
    alice: User, mailbox: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = signed_in(alice)
    page = client.get(reverse("privacy_settings")).content.decode()
    assert "Je bent de enige coördinator van CoP HvB." in page and reverse("privacy_delete_confirm") not in page
    ask_code(client, django_capture_on_commit_callbacks)
    assert mailbox == [] and not DeletionCode.objects.filter(user=alice).exists()


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb') ORDER BY 1, 2"
        )
        return list(cursor.fetchall())


def places_holding(*needles: str) -> set[tuple[str, str]]:
    """Every (table, column) of the database where one of ``needles`` occurs, in any case."""
    found = set()
    with connection.cursor() as cursor:
        for table, column in text_columns():
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608 -- names from the catalogue
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.add((table, column))
    return found


def test_former_email_and_name_are_nowhere_but_the_allowed_audit_fields_when_the_account_is_deleted(
    bobs_life: dict[str, Any], bob: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert len(text_columns()) > 50  # the scan sees the whole database
    before = places_holding(BOB_EMAIL, BOB_NAME)
    assert {("community_user", "email"), ("community_user", "display_name"), ("signals_message", "body")} <= before
    assert ("notifications_notification", "actor_label") in before and (
        "notifications_mailstatus",
        "last_error",
    ) in before
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(actor=bob, user=bob, reason="requested by the person")
    after = places_holding(BOB_EMAIL, BOB_NAME)
    assert after <= ALLOWED_AUDIT_FIELDS, after - ALLOWED_AUDIT_FIELDS
    # The one place that remains here: the reason Alice typed when she changed Bob's role.
    assert after == {("community_auditentry", "reason")}
    assert AuditEntry.objects.filter(reason__icontains=BOB_NAME).count() == 1


def test_pseudonym_and_second_factor_are_removed_when_a_status_holder_is_erased(
    dilara: User, alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    dilara.pseudonym_label = "Zonnebloem"
    dilara.save(update_fields=["pseudonym_label"])
    MembershipFactory(user=UserFactory(), community=Membership.objects.get(user=alice).community, role=Role.MEMBER)
    with django_capture_on_commit_callbacks(execute=True):
        account_erase(actor=None, user=alice, reason="test")
        account_erase(actor=dilara, user=dilara, reason="requested by the person")
    assert not Authenticator.objects.filter(user=alice).exists()
    assert places_holding("Zonnebloem", "dilara@example.org") <= ALLOWED_AUDIT_FIELDS
    dilara.refresh_from_db()
    assert dilara.pseudonym_label == "" and not dilara.pseudonymous
    # Erasing twice changes nothing and records nothing more.
    account_erase(actor=None, user=dilara, reason="again")
    assert audit_entries_for(dilara).filter(action="account.erased").count() == 1


# --- Retention ----------------------------------------------------------------------------------------


def test_retention_removes_only_what_has_outlived_its_period_and_twice_changes_nothing(
    bob: User,
    alice: User,
    community: Community,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    now = timezone.now()
    old = now - datetime.timedelta(days=settings.RETENTION_READ_NOTIFICATIONS_DAYS + 1)
    ancient = now - datetime.timedelta(days=settings.RETENTION_UNREAD_NOTIFICATIONS_DAYS + 1)

    def notification(**fields: Any) -> Notification:
        defaults = {
            "recipient": bob,
            "community": community,
            "kind": "message",
            "subject_key": "signal:1",
            "url": "/signals/1/",
            "title": "t",
            "email_frequency": "daily",
        }
        return Notification.objects.create(**{**defaults, **fields})

    read_old = notification(read_at=old, updated_at=old)
    read_new = notification(read_at=now, updated_at=old)
    unread_old = notification(updated_at=old)
    unread_ancient = notification(updated_at=ancient)
    # Signed up a while ago and never confirmed the address; another deactivated and unused for a year.
    unverified = UserFactory(email="never@example.org", display_name="Never Confirmed")
    EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False, primary=True)
    User.objects.filter(pk=unverified.pk).update(
        date_joined=now - datetime.timedelta(days=settings.RETENTION_UNVERIFIED_ACCOUNT_DAYS + 1)
    )
    fresh_unverified = UserFactory(email="fresh@example.org")
    EmailAddress.objects.create(user=fresh_unverified, email=fresh_unverified.email, verified=False, primary=True)
    gone = UserFactory(email="gone@example.org", is_active=False)
    User.objects.filter(pk=gone.pk).update(
        last_login=now - datetime.timedelta(days=settings.RETENTION_INACTIVE_ACCOUNT_DAYS + 1)
    )
    expired_code = DeletionCode.objects.create(
        user=alice, code_hash="x", expires_at=now - datetime.timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks(execute=True):
        done = retention_enforce(now)
    assert done["notifications"] == 2 and done["accounts"] == 2
    assert set(Notification.objects.values_list("pk", flat=True)) == {read_new.pk, unread_old.pk}
    assert not Notification.objects.filter(pk__in=[read_old.pk, unread_ancient.pk]).exists()
    for person, erased in ((unverified, True), (gone, True), (fresh_unverified, False), (bob, False)):
        person.refresh_from_db()
        assert (person.erased_at is not None) is erased, person.pk
    assert "never@example.org" not in {u.email for u in User.objects.all()}
    assert not DeletionCode.objects.filter(pk=expired_code.pk).exists()
    assert audit_entries_for(gone).get(action="account.erased").reason == "retention period ended"
    # Idempotent: a second run (or two at once) finds nothing left to do.
    assert set(retention_enforce(now).values()) == {0}


def test_retention_trims_the_addresses_of_old_digest_deliveries(community: Community) -> None:  # noqa: F811
    from signals.models import DeliveryStatus, Digest, DigestDelivery

    now = timezone.now()
    long_ago = now - datetime.timedelta(days=settings.RETENTION_DELIVERY_ADDRESS_DAYS + 1)
    digest = Digest.objects.create(community=community, slot=long_ago, status="sent", sent_at=long_ago)
    sent = DigestDelivery.objects.create(
        digest=digest,
        target_name="SZW",
        address="szw@example.org",
        message_id="<1@k>",
        status=DeliveryStatus.SENT,
        sent_at=long_ago,
        last_error="",
    )
    recent = DigestDelivery.objects.create(
        digest=digest,
        target_name="VNG",
        address="vng@example.org",
        message_id="<2@k>",
        status=DeliveryStatus.SENT,
        sent_at=now,
    )
    assert retention_enforce(now)["digest_delivery_addresses"] == 1
    sent.refresh_from_db(), recent.refresh_from_db()
    assert sent.address == f"delivery-{sent.pk}@trimmed.invalid" and recent.address == "vng@example.org"
    assert retention_enforce(now)["digest_delivery_addresses"] == 0


def test_retention_runs_daily_on_beat_when_migrated(db: None) -> None:
    from community.celery import app

    task = PeriodicTask.objects.get(name="privacy: retention periods")
    assert task.task == "privacy.retention" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("3", "30")
    app.loader.import_default_modules()
    assert "privacy.retention" in app.tasks
    assert app.tasks["privacy.retention"].time_limit == settings.CELERY_TASK_TIME_LIMIT


# --- The statement ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "unit"),
    [("nl", "Privacyverklaring", "dagen"), ("en", "Privacy statement", "days"), ("ar", "بيان الخصوصية", "يوم")],
)
def test_statement_states_the_configured_periods_when_read_in_any_language(
    client: Client, settings: Any, language: str, heading: str, unit: str
) -> None:
    settings.RETENTION_READ_NOTIFICATIONS_DAYS = 77
    response = client.get(reverse("privacy_statement"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<h1>{heading}</h1>" in html and f'lang="{language}"' in html
    assert f"77 {unit}" in html
    assert f"{settings.RETENTION_UNVERIFIED_ACCOUNT_DAYS} " in html


def test_footer_links_to_the_statement_and_to_your_data_when_signed_in(client: Client, bob: User) -> None:
    assert reverse("privacy_statement") in client.get(reverse("privacy_statement")).content.decode()
    html = signed_in(bob).get(reverse("privacy_statement")).content.decode()
    assert reverse("privacy_settings") in html
