"""Digests in real Celery worker processes, on a real Redis, mailing a real SMTP server run by the test."""

from __future__ import annotations

import csv
import datetime
import io
import random
import signal as unix_signal
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pypdf
import pytest
from django.utils import timezone

from community.models import Community, DigestTarget, Municipality, Role, User
from signals import digests
from signals.models import DeliveryStatus, Digest, DigestDelivery, DigestItem, DigestStatus, Signal, Status, Theme
from signals.tasks import digests_compile_due
from tests.servers import Mailbox, celery_worker, private_redis, publishing_to, smtp_server, wait_until
from tests.signals.conftest import MakeMember

pytestmark = [pytest.mark.real_workers, pytest.mark.django_db(transaction=True)]

COMPILE = "digests.compile_due"
SEND = "digests.send"


@pytest.fixture
def mail_env(worker_redis_env: dict[str, str]) -> Iterator[tuple[dict[str, str], Mailbox]]:
    """Workers on this test's Redis database, mailing an SMTP server of this test; this process publishes there."""
    with smtp_server() as (mailbox, port), publishing_to(worker_redis_env["REDIS_URL"]):
        yield {**worker_redis_env, "EMAIL_URL": f"smtp://127.0.0.1:{port}"}, mailbox


@pytest.fixture
def coordinator(make_member: MakeMember) -> User:
    return make_member("GM0855", role=Role.COORDINATOR, organisation="Gemeente Tilburg")


@pytest.fixture
def escalated(community: Community, coordinator: User, housing: Theme) -> Callable[[list[str]], list[Signal]]:
    """Escalated signals with these titles, made in bulk (nothing is scheduled)."""
    tilburg = Municipality.objects.get(cbs_code="GM0855")

    def make(titles: list[str]) -> list[Signal]:
        now = timezone.now()
        return Signal.objects.bulk_create(
            Signal(
                community=community, author=coordinator, title=title, description=f"Over {title}.", theme=housing,
                municipality=tilburg, status=Status.ESCALATED, escalated_at=now, recognition_count=1,
                municipality_count=1, organisation_count=1,
            )
            for title in titles
        )  # fmt: skip

    return make


def scheduled_a_minute_ago(community: Community) -> None:
    """The community's weekly slot was a minute ago (beat compiles a slot only shortly after its moment)."""
    moment = (timezone.now() - datetime.timedelta(minutes=1)).astimezone(timezone.get_default_timezone())
    Community.objects.filter(pk=community.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=30),
        digest_weekday=moment.weekday(),
        digest_time=moment.time().replace(second=0, microsecond=0),
    )
    community.refresh_from_db()


def test_compiled_by_a_worker_approved_and_mailed_with_pdf_and_csv_to_each_recipient(
    mail_env: tuple[dict[str, str], Mailbox],
    community: Community,
    coordinator: User,
    escalated: Callable[[list[str]], list[Signal]],
) -> None:
    env, mailbox = mail_env
    scheduled_a_minute_ago(community)
    DigestTarget.objects.create(community=community, name="Ministerie", emails="szw@example.org, bz@example.org")
    DigestTarget.objects.create(community=community, name="Divosa", kind="divosa", emails="divosa@example.org")
    kept, formula, held = escalated(["Wachtlijst woningen", "=1+2 rekent mee", "Nog even navragen"])

    with celery_worker(env, f"w-{uuid.uuid4().hex[:6]}") as worker:
        digests_compile_due.delay()
        wait_until(lambda: worker.succeeded(COMPILE) == 1, "the worker compiles the due draft")
        digest = Digest.objects.get()
        assert digest.status == DigestStatus.DRAFT and digest.slot == digests.slot_due(community, timezone.now())
        digests.item_hold_back(actor=coordinator, item=digest.items.get(signal=held), reason="Eerst navragen.")
        digests.digest_approve(actor=coordinator, digest=digest)  # after commit: the send task, to the worker
        wait_until(lambda: Digest.objects.get().status == DigestStatus.SENT, "the worker sends the digest")

    assert sorted(r for recipients, _m in mailbox.received for r in recipients) == [
        "bz@example.org",
        "divosa@example.org",
        "szw@example.org",
    ]
    for _recipients, message in mailbox.received:
        attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
        pdf = attachments[f"knooppunt-digest-{digest.pk}.pdf"]
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
        assert "Wachtlijst woningen" in text and "=1+2 rekent mee" in text and "Nog even navragen" not in text
        table = attachments[f"knooppunt-digest-{digest.pk}.csv"]
        rows = list(csv.reader(io.StringIO(table if isinstance(table, str) else table.decode())))
        assert sorted((row[0], row[1]) for row in rows[1:]) == sorted(
            [(str(kept.pk), "Wachtlijst woningen"), (str(formula.pk), "'=1+2 rekent mee")]
        )
    statuses = dict(Signal.objects.values_list("title", "status"))
    assert statuses == {
        "Wachtlijst woningen": Status.REPORTED,
        "=1+2 rekent mee": Status.REPORTED,
        "Nog even navragen": Status.ESCALATED,
    }
    # The next draft lists the held-back signal for a decision.
    [later] = escalated(["Nieuw knelpunt"])
    draft = digests.digest_compile(community, digest.slot + datetime.timedelta(days=7))
    assert draft is not None
    assert [item.signal_id for item in digests.held_back(community, besides=draft)] == [held.pk]
    assert list(draft.items.values_list("signal_id", flat=True)) == [later.pk]


def test_two_beat_ticks_for_the_same_slot_on_two_workers_make_one_digest_with_each_signal_once(
    mail_env: tuple[dict[str, str], Mailbox],
    community: Community,
    coordinator: User,
    escalated: Callable[[list[str]], list[Signal]],
) -> None:
    env, _mailbox = mail_env
    scheduled_a_minute_ago(community)
    signals = escalated([f"Knelpunt {n}" for n in range(60)])
    name = uuid.uuid4().hex[:6]
    with celery_worker(env, f"a-{name}") as first, celery_worker(env, f"b-{name}") as second:
        digests_compile_due.delay()
        digests_compile_due.delay()
        wait_until(lambda: first.succeeded(COMPILE) + second.succeeded(COMPILE) == 2, "both ticks are handled")
        assert (first.succeeded(COMPILE), second.succeeded(COMPILE)) == (1, 1)
    assert Digest.objects.count() == 1
    assert Counter(DigestItem.objects.values_list("signal_id", flat=True)) == {s.pk: 1 for s in signals}


@pytest.mark.faults  # kills a process: make test-faults
def test_a_worker_killed_while_sending_never_sends_a_recipient_two_copies(
    server_env: dict[str, str],
    community: Community,
    coordinator: User,
    escalated: Callable[[list[str]], list[Signal]],
) -> None:
    escalated(["Eerste knelpunt"])  # gives the runs a theme and a municipality to use
    addresses = [f"person{n}@example.org" for n in range(30)]
    DigestTarget.objects.create(community=community, name="Iedereen", emails=", ".join(addresses))
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    with private_redis() as (port, _redis), smtp_server() as (mailbox, smtp_port):
        env = {
            **server_env,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",  # short visibility and staleness (see there)
        }
        with publishing_to(env["REDIS_URL"]):
            for run in range(3):
                kill_while_sending(env, mailbox, run, kill_after=chance.randint(1, 12), seed=seed)


def kill_while_sending(env: dict[str, str], mailbox: Mailbox, run: int, *, kill_after: int, seed: int) -> None:
    """Approve a digest for 30 recipients, SIGKILL the worker after ``kill_after`` mails, start another."""
    community = Community.objects.get()
    coordinator = User.objects.get(memberships__role=Role.COORDINATOR)
    Signal.objects.filter(status=Status.ESCALATED).update(status=Status.REPORTED)  # earlier runs' signals
    signal = Signal.objects.filter(community=community).first()
    assert signal is not None
    Signal.objects.create(
        community=community, author=coordinator, title=f"Knelpunt van ronde {run}", description="x",
        theme=signal.theme, municipality=signal.municipality, status=Status.ESCALATED, escalated_at=timezone.now(),
    )  # fmt: skip
    digest = digests.digest_compile(community, timezone.now() + datetime.timedelta(days=run))
    assert digest is not None
    before = len(mailbox.received)
    with celery_worker(env, f"killed-{uuid.uuid4().hex[:6]}") as worker:
        digests.digest_approve(actor=coordinator, digest=digest)
        wait_until(lambda: len(mailbox.received) - before >= kill_after, "sending is under way")
        worker.process.send_signal(unix_signal.SIGKILL)
        worker.process.wait()
    deliveries = DigestDelivery.objects.filter(digest=digest)
    assert deliveries.filter(status=DeliveryStatus.PENDING).exists(), f"seed {seed}: nothing was left to send"
    # No manual step: the restarted worker gets the send task back from the broker and finishes.
    with celery_worker(env, f"restarted-{uuid.uuid4().hex[:6]}") as restarted:
        wait_until(lambda: restarted.succeeded(SEND) >= 1, "the send task, delivered again, runs")
        wait_until(lambda: Digest.objects.get(pk=digest.pk).status == DigestStatus.SENT, "the digest is sent")

    copies = Counter(r for recipients, _message in mailbox.received[before:] for r in recipients)
    statuses = dict(deliveries.values_list("address", "status"))
    assert set(statuses.values()) <= {DeliveryStatus.SENT, DeliveryStatus.UNCERTAIN}, seed
    assert max(copies.values()) == 1, f"seed {seed}: a recipient got two copies"
    for address, status in statuses.items():
        if status == DeliveryStatus.SENT:
            assert copies[address] == 1, (seed, address)
    uncertain = [address for address, status in statuses.items() if status == DeliveryStatus.UNCERTAIN]
    assert len(uncertain) <= 1, (seed, uncertain)  # only the one in flight at the kill
