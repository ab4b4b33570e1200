"""Digest reports in this process: schedule, compile, hold back, approve, render, the outbox, pages, API, command.

The real-worker tests (two beat ticks, a worker killed while sending) are in test_digest_workers.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from community.models import Community, DigestTarget, Municipality, Role, User, UserKind
from notifications.models import Kind, Notification
from signals import digests, outbox, reports
from signals.discussion import message_post
from signals.models import DeliveryStatus, Digest, DigestDelivery, DigestItem, DigestStatus, Signal, Status, Theme
from signals.services import signal_create
from signals.workflow import signal_transition
from tests.servers import Mailbox
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db

Commit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]
AMS = timezone.get_default_timezone()
SLOT = datetime.datetime(2026, 11, 16, 8, 0, tzinfo=AMS)


@pytest.fixture
def coordinator(make_member: MakeMember) -> User:
    return make_member(
        "GM0855", role=Role.COORDINATOR, organisation="Gemeente Tilburg", display_name="Cora Coördinator"
    )


@pytest.fixture
def escalate(community: Community, coordinator: User, housing: Theme) -> Callable[..., Signal]:
    """Report a signal and escalate it by hand (the rule is tested elsewhere)."""

    def make(title: str, *, reporter: User | None = None) -> Signal:
        signal = signal_create(
            actor=reporter or coordinator,
            community=community,
            title=title,
            description=f"Beschrijving van {title}.",
            theme=housing,
            municipality=Municipality.objects.get(cbs_code="GM0855"),
        )
        return signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason="Speelt breed.")

    return make


@pytest.fixture
def targets(community: Community) -> list[str]:
    DigestTarget.objects.create(community=community, name="Ministerie", kind="ministry", emails="szw@example.org")
    DigestTarget.objects.create(community=community, name="VNG", kind="vng", emails="vng@example.org, SZW@example.org")
    return ["szw@example.org", "vng@example.org"]


# --- The schedule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (datetime.datetime(2026, 11, 16, 7, 59, tzinfo=AMS), datetime.datetime(2026, 11, 9, 8, 0, tzinfo=AMS)),
        (datetime.datetime(2026, 11, 16, 8, 0, tzinfo=AMS), datetime.datetime(2026, 11, 16, 8, 0, tzinfo=AMS)),
        (datetime.datetime(2026, 11, 22, 23, 0, tzinfo=AMS), datetime.datetime(2026, 11, 16, 8, 0, tzinfo=AMS)),
        # Across the change to winter time (25 October 2026): still 08:00 in Amsterdam.
        (datetime.datetime(2026, 10, 26, 9, 0, tzinfo=AMS), datetime.datetime(2026, 10, 26, 8, 0, tzinfo=AMS)),
        (datetime.datetime(2026, 10, 26, 7, 0, tzinfo=datetime.UTC), datetime.datetime(2026, 10, 26, 8, 0, tzinfo=AMS)),
    ],
)
def test_the_slot_is_the_latest_monday_8_am_in_amsterdam(community: Community, now: Any, slot: Any) -> None:
    assert digests.slot_due(community, now) == slot
    assert digests.slot_due(community, now).utcoffset() == slot.utcoffset()


def test_a_community_sets_its_own_day_and_time(community: Community) -> None:
    community.digest_weekday, community.digest_time = 3, datetime.time(14, 30)  # Thursday
    now = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=AMS)
    assert digests.slot_due(community, now) == datetime.datetime(2026, 11, 19, 14, 30, tzinfo=AMS)


# --- Compiling ---------------------------------------------------------------------------------------


def test_a_slot_gets_one_draft_with_each_escalated_signal_once_and_the_coordinators_are_told(
    community: Community, escalate: Callable[..., Signal], coordinator: User, make_member: MakeMember
) -> None:
    first, second = escalate("Wachtlijst woningen"), escalate("Geen taalles")
    open_one = signal_create(
        actor=coordinator, community=community, title="Nog open", description="x", theme=first.theme,
        municipality=first.municipality,
    )  # fmt: skip
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None and digest.status == DigestStatus.DRAFT
    assert set(digest.items.values_list("signal_id", flat=True)) == {first.pk, second.pk}
    assert open_one.pk not in digest.items.values_list("signal_id", flat=True)
    assert digests.digest_compile(community, SLOT) is None  # the same slot again: nothing new
    assert digests.digest_compile(community, SLOT + datetime.timedelta(days=7)) is None  # nothing left to report
    assert Digest.objects.count() == 1
    told = Notification.objects.get(kind=Kind.DIGEST)
    assert (told.recipient, told.url) == (coordinator, reverse("digest_detail", args=[digest.pk]))


def test_a_snapshot_quotes_key_points_by_role_and_municipality_never_by_name(
    community: Community, escalate: Callable[..., Signal], make_member: MakeMember
) -> None:
    signal = escalate("Wachtlijst woningen")
    named = make_member("GM0867", organisation="Gemeente Waalwijk", display_name="Wendy Waalwijk")
    hidden = make_member("GM0784", kind=UserKind.STATUS_HOLDER, organisation=None, display_name="Samir Secret")
    message_post(actor=named, signal=signal, body="Bij ons wachten gezinnen twee jaar.")
    message_post(actor=hidden, signal=signal, body="Wij wonen al een jaar in het azc.")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    snapshot = digest.items.get().snapshot
    assert [point["who"] for point in snapshot["key_points"]] == [
        "VluchtelingenWerk, Waalwijk",
        "een statushouder in Hart van Brabant",
    ]
    html = reports.render_html(reports.report_of(digest))
    assert "Wendy" not in html and "Samir" not in html
    assert "Bij ons wachten gezinnen twee jaar." in html


def test_with_approval_switched_off_a_draft_is_approved_and_sent_at_once(
    community: Community,
    escalate: Callable[..., Signal],
    targets: list[str],
    smtp: Mailbox,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    community.digest_approval = False
    community.save()
    signal = escalate("Wachtlijst woningen")
    with django_capture_on_commit_callbacks(execute=True):
        digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    digest.refresh_from_db()
    assert digest.status == DigestStatus.SENT and digest.approved_by is None
    assert sorted(address for recipients, _m in smtp.received for address in recipients) == targets
    signal.refresh_from_db()
    assert signal.status == Status.REPORTED


# --- Holding back -------------------------------------------------------------------------------------


def test_a_held_back_signal_stays_escalated_is_explained_to_followers_and_comes_back_in_the_next_draft(
    client: Client,
    targets: list[str],
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    make_member: MakeMember,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    kept, held = escalate("Wachtlijst woningen"), escalate("Nog even navragen")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    item = digest.items.get(signal=held)
    member = make_member()
    with pytest.raises(PermissionDenied):
        digests.item_hold_back(actor=member, item=item, reason="Nee.")
    with pytest.raises(ValidationError):
        digests.item_hold_back(actor=coordinator, item=item, reason=" ")
    digests.item_hold_back(actor=coordinator, item=item, reason="Eerst navragen bij de corporatie.")
    with django_capture_on_commit_callbacks(execute=True):
        digests.digest_approve(actor=coordinator, digest=digest)
    digest.refresh_from_db()
    assert "Nog even navragen" not in digest.html and "Wachtlijst woningen" in digest.html
    kept.refresh_from_db(), held.refresh_from_db()
    assert (kept.status, held.status) == (Status.REPORTED, Status.ESCALATED)

    client.force_login(held.author)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("signal_detail", args=[held.pk])).content.decode()
    assert "Held back from the digest of" in page and "Eerst navragen bij de corporatie." in page

    # The next draft asks again; taking it in moves it (still in one digest only), with fresh figures.
    later = escalate("Nieuw knelpunt")
    draft = digests.digest_compile(community, SLOT + datetime.timedelta(days=7))
    assert draft is not None
    assert [i.signal for i in digests.held_back(community, besides=draft)] == [held]
    assert list(draft.items.values_list("signal_id", flat=True)) == [later.pk]
    digests.item_include(actor=coordinator, item=item, digest=draft)
    item.refresh_from_db()
    assert (item.digest, item.held_back, item.held_back_reason) == (draft, False, "")
    assert DigestItem.objects.filter(signal=held).count() == 1


# --- Approving: the outputs ----------------------------------------------------------------------------


def test_approval_renders_html_text_pdf_and_csv_once_with_formula_cells_neutralised(
    community: Community, escalate: Callable[..., Signal], coordinator: User, targets: list[str]
) -> None:
    escalate("Wachtlijst woningen")
    escalate('=HYPERLINK("http://evil.example";"klik")')
    escalate("@SUM(1+1) en -2 en +3")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    digests.digest_approve(actor=coordinator, digest=digest)
    digest.refresh_from_db()
    assert digest.status == DigestStatus.APPROVED and digest.approved_by == coordinator
    assert bytes(digest.pdf).startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(bytes(digest.pdf))).pages)
    assert "Wachtlijst woningen" in text and "Rapportage van CoP HvB" in text
    rows = list(csv.reader(io.StringIO(digest.csv)))
    assert rows[0][:3] == ["Nummer", "Titel", "Thema"]
    assert sorted(row[1] for row in rows[1:]) == [
        '\'=HYPERLINK("http://evil.example";"klik")',
        "'@SUM(1+1) en -2 en +3",
        "Wachtlijst woningen",
    ]
    assert "Wachtlijst woningen" in digest.text and "<" not in digest.text.split("\n")[0]
    first = (digest.html, bytes(digest.pdf), digest.csv)
    with pytest.raises(ValidationError):  # approving again renders nothing again
        digests.digest_approve(actor=coordinator, digest=digest)
    digest.refresh_from_db()
    assert (digest.html, bytes(digest.pdf), digest.csv) == first


def test_charts_read_without_colour_and_have_their_numbers_as_text(
    community: Community, escalate: Callable[..., Signal]
) -> None:
    escalate("Wachtlijst woningen")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    html = reports.render_html(reports.report_of(digest))
    assert html.count('role="img"') == 3 and html.count("<title id=") == 3
    assert "<table>" in html and "Signalen per thema" in html
    assert 'fill="url(#themes-hatch)"' in html  # hatched, not coloured


def test_a_digest_of_200_signals_renders_every_signal(
    community: Community, coordinator: User, housing: Theme, escalate: Callable[..., Signal]
) -> None:
    signal = escalate("Voorbeeld")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    item = digest.items.get()
    DigestItem.objects.bulk_create(
        DigestItem(
            digest=digest,
            signal=Signal.objects.create(
                community=community, author=coordinator, title=f"Knelpunt {n}", description="x",
                theme=housing, municipality=signal.municipality, status=Status.ESCALATED,
            ),
            snapshot={**item.snapshot, "title": f"Knelpunt nummer {n}"},
        )
        for n in range(199)
    )  # fmt: skip
    html, text, pdf, table = reports.render_final(digest)
    assert html.count('class="digest-signal"') == 200
    assert len(list(csv.reader(io.StringIO(table)))) == 201
    assert "Knelpunt nummer 198" in " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)


# --- The outbox -----------------------------------------------------------------------------------------


def test_sending_mails_each_recipient_once_with_pdf_and_csv_and_reports_the_signals(
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    targets: list[str],
    smtp: Mailbox,
    make_member: MakeMember,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    liaison = make_member(role=Role.LIAISON)
    signal = escalate("Wachtlijst woningen")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    with django_capture_on_commit_callbacks(execute=True):
        digests.digest_approve(actor=coordinator, digest=digest)
    digest.refresh_from_db()
    assert digest.status == DigestStatus.SENT
    deliveries = {d.address: d for d in digest.deliveries.all()}
    assert sorted(deliveries) == targets  # SZW@ in two targets: one delivery
    assert {d.status for d in deliveries.values()} == {DeliveryStatus.SENT}
    for address in targets:
        [message] = smtp.to(address)
        assert message["Message-ID"] == deliveries[address].message_id
        assert message["Subject"].endswith("Rapportage van CoP HvB, 16 november 2026")
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<h1>Rapportage van CoP HvB" in html and "&lt;" not in html  # the report, not its escaped source
        names = sorted(part.get_filename() for part in message.iter_attachments())
        assert names == [f"knooppunt-digest-{digest.pk}.csv", f"knooppunt-digest-{digest.pk}.pdf"]
    signal.refresh_from_db()
    assert signal.status == Status.REPORTED
    sent_told = Notification.objects.filter(kind=Kind.DIGEST, subject_key=f"digest:{digest.pk}", recipient=liaison)
    assert sent_told.count() == 1
    # Sending again sends nothing.
    assert outbox.digest_send(digest.pk) == 0 and len(smtp.received) == 2


def test_a_refused_address_fails_alone_and_an_unreachable_server_is_tried_again_later(
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    targets: list[str],
    smtp: Mailbox,
    settings: Any,
) -> None:
    escalate("Wachtlijst woningen")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    smtp.refuse.add("vng@example.org")
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens: every delivery waits for another try
    digests.digest_approve(actor=coordinator, digest=digest)  # (the send task is not run: no commit here)
    assert outbox.digest_send(digest.pk) == 0
    waiting = DigestDelivery.objects.get(address="szw@example.org")
    assert waiting.status == DeliveryStatus.PENDING and waiting.attempts == 1
    assert waiting.next_attempt_at > timezone.now() + datetime.timedelta(seconds=50)
    assert outbox.outbox_sweep() == []  # not due yet
    DigestDelivery.objects.update(next_attempt_at=timezone.now())
    assert outbox.outbox_sweep() == [digest.pk]
    settings.EMAIL_PORT = port
    assert outbox.digest_send(digest.pk) == 1
    statuses = dict(DigestDelivery.objects.values_list("address", "status"))
    assert statuses == {"szw@example.org": DeliveryStatus.SENT, "vng@example.org": DeliveryStatus.FAILED}
    digest.refresh_from_db()
    assert digest.status == DigestStatus.SENT


def test_a_delivery_interrupted_while_sending_becomes_uncertain_and_is_never_sent_again(
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    targets: list[str],
    smtp: Mailbox,
    settings: Any,
) -> None:
    escalate("Wachtlijst woningen")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    digests.digest_approve(actor=coordinator, digest=digest)
    # A worker claimed one and died before it could say how it went.
    DigestDelivery.objects.filter(address="szw@example.org").update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert outbox.digest_send(digest.pk) == 1
    assert [recipients for recipients, _m in smtp.received] == [["vng@example.org"]]
    assert DigestDelivery.objects.get(address="szw@example.org").status == DeliveryStatus.UNCERTAIN
    digest.refresh_from_db()
    assert digest.status == DigestStatus.SENT
    assert outbox.digest_send(digest.pk) == 0 and len(smtp.received) == 1


# --- Pages, API, command ---------------------------------------------------------------------------------


def test_who_sees_which_digest_on_pages_and_in_the_api(
    client: Client,
    targets: list[str],
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    make_member: MakeMember,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    escalate("Wachtlijst woningen")
    draft = digests.digest_compile(community, SLOT)
    assert draft is not None
    member, liaison = make_member(), make_member(role=Role.LIAISON)
    outsider = make_member()
    outsider.memberships.all().delete()
    detail = reverse("digest_detail", args=[draft.pk])
    for person, status in ((coordinator, 200), (member, 404), (liaison, 404), (outsider, 404)):
        client.force_login(person)
        assert client.get(detail).status_code == status, person
        assert client.get(reverse("digest_pdf", args=[draft.pk])).status_code == status
        api = APIClient()
        api.force_authenticate(person)
        assert api.get(f"/api/v1/digests/{draft.pk}/").status_code == status
        assert api.get("/api/v1/digests/").json()["count"] == (1 if status == 200 else 0)
    with django_capture_on_commit_callbacks(execute=True):
        digests.digest_approve(actor=coordinator, digest=draft)
    for person, status in ((member, 200), (liaison, 200), (outsider, 404)):
        client.force_login(person)
        assert client.get(detail).status_code == status
        assert client.get(reverse("digest_csv", args=[draft.pk])).status_code == status
    api = APIClient()
    api.force_authenticate(liaison)
    [listed] = api.get("/api/v1/digests/").json()["results"]
    assert listed["status"] == "sent" and [s["title"] for s in listed["signals"]] == ["Wachtlijst woningen"]
    assert listed["held_back"] == []


def test_a_coordinator_previews_holds_back_and_approves_on_the_pages(
    client: Client,
    targets: list[str],
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    make_member: MakeMember,
    settings: Any,
) -> None:
    escalate("Wachtlijst woningen")
    held = escalate("Nog even navragen")
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    preview = client.get(reverse("digest_preview", args=[community.slug])).content.decode()
    assert "Nog even navragen" in preview and not Digest.objects.exists()
    assert client.post(reverse("digest_compile_now", args=[community.slug])).status_code == 404  # DEBUG is off
    settings.DEBUG = True
    response = client.post(reverse("digest_compile_now", args=[community.slug]))
    digest = Digest.objects.get()
    assert response["Location"] == reverse("digest_detail", args=[digest.pk])
    item = digest.items.get(signal=held)
    page = client.post(
        reverse("digest_hold_back", args=[digest.pk, item.pk]), {"reason": "Eerst navragen."}, follow=True
    ).content.decode()
    assert "stays escalated" in page
    member = make_member()
    client.force_login(member)
    assert client.post(reverse("digest_approve", args=[digest.pk])).status_code == 404
    client.force_login(coordinator)
    page = client.post(reverse("digest_approve", args=[digest.pk]), follow=True).content.decode()
    digest.refresh_from_db()
    assert digest.status != DigestStatus.DRAFT
    assert "Nog even navragen" not in digest.html
    assert client.get(reverse("digest_pdf", args=[digest.pk]))["Content-Type"] == "application/pdf"
    assert client.get(reverse("digest_csv", args=[digest.pk])).content.startswith("\ufeff".encode())


def test_send_digest_prints_what_would_be_in_it_or_compiles_now(
    community: Community, escalate: Callable[..., Signal]
) -> None:
    signal = escalate("Wachtlijst woningen")
    out = io.StringIO()
    call_command("send_digest", "--dry-run", "--community", community.slug, stdout=out)
    assert f"#{signal.pk} 'Wachtlijst woningen'" in out.getvalue() and not Digest.objects.exists()
    out = io.StringIO()
    call_command("send_digest", stdout=out)
    digest = Digest.objects.get()
    assert f"digest #{digest.pk} with 1 signals (awaiting approval)" in out.getvalue()
    out = io.StringIO()
    call_command("send_digest", stdout=out)
    assert "nothing to compile" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("send_digest", "--community", "nowhere", stdout=io.StringIO())


def test_coordinators_set_the_schedule_and_the_targets(
    client: Client, community: Community, coordinator: User, make_member: MakeMember
) -> None:
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    url = reverse("community_settings", args=[community.slug])
    form = {
        "name": community.name, "description": "", "language": "nl", "min_recognitions": 10,
        "min_municipalities": 3, "min_organisations": 2, "min_status_holder_recognitions": 0,
        "open_for_applications": "on", "digest_weekday": 4, "digest_time": "09:30", "checkback_weeks": 4,
        "checkback_min_yes": 3, "checkback_yes_percent": 50,
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    community.refresh_from_db()
    assert (community.digest_weekday, community.digest_time, community.digest_approval) == (
        4,
        datetime.time(9, 30),
        False,
    )
    new = reverse("digest_target_new", args=[community.slug])
    response = client.post(new, {"name": "Ministerie", "kind": "ministry", "emails": "a@example.org\nnot an address"})
    assert response.status_code == 400 and "is not an email address" in response.content.decode()
    assert client.post(new, {"name": "Ministerie", "kind": "ministry", "emails": "A@example.org; b@example.org"})
    target = DigestTarget.objects.get()
    assert target.addresses == ["a@example.org", "b@example.org"]
    client.force_login(make_member())
    assert client.post(new, {"name": "X", "kind": "other", "emails": "x@example.org"}).status_code == 403
    client.force_login(coordinator)
    client.post(reverse("digest_target_delete", args=[community.slug, target.pk]))
    assert not DigestTarget.objects.exists()


def test_a_slot_is_compiled_only_shortly_after_its_moment(
    community: Community, escalate: Callable[..., Signal]
) -> None:
    escalate("Wachtlijst woningen")
    Community.objects.filter(pk=community.pk).update(created_at=SLOT - datetime.timedelta(days=60))
    assert digests.digests_compile_due(SLOT + datetime.timedelta(days=2)) == []  # Wednesday: wait for Monday
    [digest] = digests.digests_compile_due(SLOT + datetime.timedelta(minutes=5))
    assert digest.slot == SLOT
    assert digests.digests_compile_due(SLOT + datetime.timedelta(minutes=10)) == []


def test_mentioned_names_are_replaced_in_quoted_key_points(
    community: Community, escalate: Callable[..., Signal], make_member: MakeMember
) -> None:
    signal = escalate("Wachtlijst woningen")
    make_member("GM0867", organisation="Gemeente Waalwijk", display_name="Wendy Waalwijk")
    author = make_member("GM0784", display_name="Anton Auteur")
    message_post(actor=author, signal=signal, body="Vraag het @Wendy Waalwijk, zij kent de regeling.")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    [point] = digest.items.get().snapshot["key_points"]
    assert point["text"] == "Vraag het @(VluchtelingenWerk, Waalwijk), zij kent de regeling."


def test_what_moderators_hid_after_compiling_is_not_sent(
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    targets: list[str],
    make_member: MakeMember,
) -> None:
    from signals.discussion import message_set_hidden
    from signals.services import signal_hide

    kept, hidden = escalate("Wachtlijst woningen"), escalate("Bevat een naam")
    message, _new = message_post(actor=make_member("GM0867"), signal=kept, body="Geheim detail over een gezin.")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    signal_hide(actor=coordinator, signal=hidden, reason="Noemt een persoon.")
    message_set_hidden(actor=coordinator, message=message, hidden=True, reason="Te herleidbaar.")
    with pytest.raises(ValidationError):  # a hidden signal cannot be taken back in
        digests.item_include(actor=coordinator, item=digest.items.get(signal=hidden), digest=digest)
    digests.digest_approve(actor=coordinator, digest=digest)
    digest.refresh_from_db()
    assert "Bevat een naam" not in digest.html and "Geheim detail" not in digest.html
    assert "Geheim detail" not in digest.text and "Bevat een naam" not in digest.csv
    item = digest.items.get(signal=hidden)
    assert (
        item.held_back and item.held_back_reason == "Verborgen door een moderator nadat het concept was samengesteld."
    )


def test_a_digest_without_targets_is_not_approved(
    community: Community, escalate: Callable[..., Signal], coordinator: User
) -> None:
    escalate("Wachtlijst woningen")
    community.digest_approval = False  # switched off, but there is no one to send to: it waits as a draft
    community.save()
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None and digest.status == DigestStatus.DRAFT
    with pytest.raises(ValidationError) as error:
        digests.digest_approve(actor=coordinator, digest=digest)
    assert error.value.code == "no_targets"


def test_a_connection_dropped_while_handing_over_a_mail_makes_it_uncertain_not_retried(
    community: Community,
    escalate: Callable[..., Signal],
    coordinator: User,
    targets: list[str],
    smtp: Mailbox,
) -> None:
    escalate("Wachtlijst woningen")
    digest = digests.digest_compile(community, SLOT)
    assert digest is not None
    smtp.hang_up.add("szw@example.org")
    digests.digest_approve(actor=coordinator, digest=digest)
    outbox.digest_send(digest.pk)
    statuses = dict(DigestDelivery.objects.values_list("address", "status"))
    assert statuses == {"szw@example.org": DeliveryStatus.UNCERTAIN, "vng@example.org": DeliveryStatus.SENT}
    assert len(smtp.to("szw@example.org")) == 1  # the server had it: sending again would be a second copy
    DigestDelivery.objects.update(next_attempt_at=timezone.now())
    outbox.digest_send(digest.pk)
    assert len(smtp.to("szw@example.org")) == 1
