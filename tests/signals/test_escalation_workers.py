"""Escalation in real Celery worker processes on a real Redis broker (not eager mode).

Each test has a broker of its own (a Redis database of its pytest worker, or a
private redis-server), and this process publishes there too (``publishing_to``),
as an app server would.
"""

from __future__ import annotations

import signal as unix_signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import pytest
from django.db.models import Count
from playwright.sync_api import expect

from community.models import Community, Municipality, Organisation, OrganisationKind, Role, User
from notifications.models import Kind, Notification
from signals.models import EventKind, Follow, Recognition, Signal, SignalEvent, Status, Theme
from signals.services import recognition_add, signal_follow
from signals.tasks import escalation_sweep
from tests.browser import Watch, chromium, signed_in
from tests.factories import MembershipFactory, UserFactory, session_key
from tests.servers import app_server, celery_worker, private_redis, publishing_to, wait_until
from tests.signals.conftest import MakeMember

pytestmark = [pytest.mark.real_workers, pytest.mark.django_db(transaction=True)]

SWEEP = "signals.escalation_sweep"


def escalated() -> int:
    return Signal.objects.filter(status=Status.ESCALATED).count()


def assert_escalated_exactly_once(signal_ids: list[int], told: set[int]) -> None:
    """Every signal escalated, with one timeline entry, and each of ``told`` notified once about each."""
    assert set(Signal.objects.filter(pk__in=signal_ids).values_list("status", flat=True)) == {Status.ESCALATED}
    entries = Counter(
        SignalEvent.objects.filter(kind=EventKind.TRANSITION, to_status=Status.ESCALATED).values_list(
            "signal_id", flat=True
        )
    )
    assert entries == dict.fromkeys(signal_ids, 1)
    notified = (
        Notification.objects.filter(kind=Kind.ESCALATED)
        .values("recipient_id", "subject_key")
        .annotate(times=Count("pk"))
    )
    assert {row["times"] for row in notified} == {1}
    assert len(notified) == len(signal_ids) * len(told)
    assert {row["recipient_id"] for row in notified} == told


@pytest.fixture
def at_the_rule(rule_3_in_3: Community, housing: Theme) -> Callable[[int], tuple[list[int], set[int]]]:
    """``count`` open signals, each recognised by three people in three municipalities and followed by
    one more person; made in bulk (no task is scheduled). Returns their ids and who should be told."""

    def make(count: int) -> tuple[list[int], set[int]]:
        people = []
        for code in ("GM0855", "GM0867", "GM0784"):
            organisation = Organisation.objects.create(
                name=f"Organisatie {code}", kind=OrganisationKind.VLUCHTELINGENWERK
            )
            person = UserFactory(organisation=organisation)
            person.municipalities.set([Municipality.objects.get(cbs_code=code)])
            MembershipFactory(user=person, community=rule_3_in_3)
            people.append((person, Municipality.objects.get(cbs_code=code)))
        follower = UserFactory()
        MembershipFactory(user=follower, community=rule_3_in_3)
        coordinator = UserFactory(mfa=True)
        MembershipFactory(user=coordinator, community=rule_3_in_3, role=Role.COORDINATOR)
        reporter = people[0][0]
        signals = Signal.objects.bulk_create(
            Signal(
                community=rule_3_in_3,
                author=reporter,
                title=f"Knelpunt {number}",
                description="Speelt in drie gemeenten.",
                theme=housing,
                municipality=people[0][1],
                recognition_count=3,
                municipality_count=3,
                organisation_count=3,
            )
            for number in range(count)
        )
        Recognition.objects.bulk_create(
            Recognition(signal=signal, user=person, municipality=place, organisation=person.organisation)
            for signal in signals
            for person, place in people
        )
        Follow.objects.bulk_create(
            Follow(user=person, community=rule_3_in_3, signal=signal)
            for signal in signals
            for person in (*(p for p, _ in people), follower)
        )
        return [s.pk for s in signals], {*(p.pk for p, _ in people), follower.pk, coordinator.pk}

    return make


@pytest.fixture
def broker(worker_redis_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The environment of this test's workers and servers; this process publishes to the same broker."""
    with publishing_to(worker_redis_env["REDIS_URL"]):
        yield worker_redis_env


def test_the_third_municipality_recognises_on_the_web_and_a_worker_escalates(
    broker: dict[str, str],
    signal: Signal,
    rule_3_in_3: Community,
    make_member: MakeMember,
    reporter: User,
) -> None:
    waalwijk = make_member("GM0867", organisation="Gemeente Waalwijk")
    gilze = make_member("GM0784", organisation="COA Gilze en Rijen")
    coordinator = make_member("GM0855", role=Role.COORDINATOR, organisation="Gemeente Tilburg")
    follower = make_member("GM0797")
    signal_follow(actor=follower, signal=signal)
    page = f"/signals/{signal.pk}/"

    with app_server("gunicorn", broker) as base, celery_worker(broker, f"w-{uuid.uuid4().hex[:6]}") as worker:
        for person in (waalwijk, gilze):
            with httpx.Client(base_url=base, cookies={"sessionid": session_key(person)}) as web:
                web.get(page).raise_for_status()  # the page sets the CSRF cookie its form posts back
                token = web.cookies["csrftoken"]
                response = web.post(f"{page}recognise/", data={"csrfmiddlewaretoken": token})
                assert response.status_code == 302, response.text
            if person == waalwijk:
                wait_until(lambda: worker.succeeded("signals.evaluate") == 1, "the first evaluation")
                assert Signal.objects.get(pk=signal.pk).status == Status.OPEN  # 2 municipalities: not yet
        wait_until(lambda: escalated() == 1, "the worker escalates the signal", timeout=30)

        with httpx.Client(
            base_url=base, cookies={"sessionid": session_key(coordinator), "django_language": "en"}
        ) as web:
            html = web.get(page).text
        assert "by the escalation rule" in html
        assert (
            "Recognised by 3 people in 3 municipalities and 3 organisations; "
            "rule: 3 people in 3 municipalities and 2 organisations."
        ) in html
    assert_escalated_exactly_once([signal.pk], {reporter.pk, waalwijk.pk, gilze.pk, follower.pk, coordinator.pk})


def test_two_workers_and_a_doubled_sweep_escalate_each_of_200_signals_once(
    broker: dict[str, str], at_the_rule: Callable[[int], tuple[list[int], set[int]]]
) -> None:
    signal_ids, told = at_the_rule(200)
    name = uuid.uuid4().hex[:6]
    with celery_worker(broker, f"a-{name}") as first, celery_worker(broker, f"b-{name}") as second:
        escalation_sweep.delay()
        escalation_sweep.delay()
        wait_until(lambda: first.succeeded(SWEEP) + second.succeeded(SWEEP) == 2, "both sweeps finish", timeout=120)
        # Each worker took one of the sweeps: they ran side by side over the same 200 signals.
        assert (first.succeeded(SWEEP), second.succeeded(SWEEP)) == (1, 1)
    assert_escalated_exactly_once(signal_ids, told)


@pytest.mark.faults  # kills a process: make test-faults
def test_a_worker_killed_in_the_middle_of_a_sweep_is_restarted_and_every_signal_escalates_once(
    server_env: dict[str, str], at_the_rule: Callable[[int], tuple[list[int], set[int]]]
) -> None:
    signal_ids, told = at_the_rule(200)
    with private_redis() as (port, _redis):
        # The worker's settings shorten the broker's visibility timeout (see tests/worker_settings.py).
        env = {
            **server_env,
            "REDIS_URL": f"redis://127.0.0.1:{port}/0",
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        }
        with publishing_to(env["REDIS_URL"]):
            with celery_worker(env, f"killed-{uuid.uuid4().hex[:6]}") as worker:
                escalation_sweep.delay()
                wait_until(lambda: escalated() >= 20, "the sweep is under way")
                worker.process.send_signal(unix_signal.SIGKILL)
                worker.process.wait()
                halfway = escalated()
                assert halfway < len(signal_ids), "the sweep had finished before the kill; nothing was tested"
                time.sleep(1)
                assert escalated() == halfway  # nobody else is working

            # No manual step: the restarted worker gets the killed one's sweep back from the broker.
            with celery_worker(env, f"restarted-{uuid.uuid4().hex[:6]}") as restarted:
                wait_until(lambda: restarted.succeeded(SWEEP) == 1, "the sweep, delivered again, finishes", 90)
    assert_escalated_exactly_once(signal_ids, told)


def test_a_coordinator_watches_the_signal_escalate_live_in_the_browser(
    broker: dict[str, str], signal: Signal, rule_3_in_3: Community, make_member: MakeMember
) -> None:
    """The issue's "done when", in Chromium: the third municipality recognises, a worker escalates, and the
    coordinator's open page shows it with the explanation; the escalate button goes, as it would be refused."""
    recognition_add(actor=make_member("GM0867", organisation="Gemeente Waalwijk"), signal=signal)
    coordinator = make_member("GM0855", role=Role.COORDINATOR, organisation="Gemeente Tilburg")
    third = make_member("GM0784", organisation="COA Gilze en Rijen")
    sessions = session_key(coordinator), session_key(third)
    with (
        app_server("uvicorn", broker) as base,
        celery_worker(broker, f"w-{uuid.uuid4().hex[:6]}"),
        chromium() as browser,
    ):
        watching = signed_in(browser.new_context(locale="nl-NL"), base, sessions[0])
        recognising = signed_in(browser.new_context(locale="nl-NL"), base, sessions[1])
        watches = [Watch(watching, base), Watch(recognising, base)]
        for page in (watching, recognising):
            page.goto(f"{base}/signals/{signal.pk}/")
            expect(page.locator("[data-connection]")).to_have_text("Verbonden")
        expect(watching.locator("#recognition-figures")).to_contain_text("opschalen vraagt 3 mensen, 3 gemeenten.")
        expect(watching.get_by_role("button", name="Maak het: Opgeschaald")).to_be_visible()

        recognising.get_by_role("button", name="Dit speelt hier ook").click()

        expect(watching.locator("#signal-status")).to_contain_text("Opgeschaald")
        expect(watching.locator("#recognition-figures")).to_contain_text(
            "Herkend door 3 mensen in 3 gemeenten en 3 organisaties; regel: 3 mensen in 3 gemeenten en 2 organisaties."
        )
        expect(watching.locator("#timeline")).to_contain_text("Opgeschaald (door de opschaalregel)")
        expect(watching.get_by_role("button", name="Maak het: Opgeschaald")).to_be_hidden()
        expect(watching.locator("[data-bell] [data-unread]")).to_have_text("1 ongelezen")
        problems = [problem for watch in watches for problem in watch.problems]
    assert problems == []
    assert Signal.objects.get(pk=signal.pk).status == Status.ESCALATED
