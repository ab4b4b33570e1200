"""Two beat processes fire the same schedules (a second beat started by mistake, or a failover that
overlapped): over ten periods every escalation and every digest slot still happens exactly once.

Each task is guarded in the database, not by beat being alone: escalation is a conditional update under
a row lock (``signals.escalation``), a digest is unique per community and slot and an item unique per
signal (``signals.digests``). The schedules here run every second, and a fresh slot falls due in each.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from community.models import Community, Municipality, Role, User
from notifications.models import Kind, Notification
from signals.digests import slot_due
from signals.models import Digest, DigestItem, EventKind, Recognition, Signal, SignalEvent, Status, Theme
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.faults.conftest import Stack, recognisers
from tests.servers import BIN, _child, celery_worker, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.real_workers, pytest.mark.timeout(240)]

PERIODS = 10
SWEEP, COMPILE = "signals.escalation_sweep", "digests.compile_due"
PLACES = ("GM0855", "GM0867", "GM0784")


@dataclass
class Beat:
    process: subprocess.Popen[bytes]
    log: Path

    def sent(self, task: str) -> int:
        """How many times this beat has sent ``task`` so far."""
        return len(re.findall(rf"Sending due task .* \({re.escape(task)}\)", self.log.read_text()))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)


@contextmanager
def celery_beat(env: dict[str, str]) -> Iterator[Beat]:
    """A beat process on the database schedule, as in the Procfile (no pid file: two may run)."""
    command = [str(BIN / "celery"), "--app", "community", "beat", "--loglevel", "INFO", "--pidfile="]
    command += ["--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"]
    with _child(command, env) as (process, log):
        beat = Beat(process, log)
        wait_until(lambda: "beat: Starting..." in log.read_text() or process.poll() is not None, "beat starts")
        assert process.poll() is None, log.read_text()
        yield beat


def every_second(tasks: list[str]) -> None:
    """Only these schedules, each every second (the migrations made them every few minutes)."""
    second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.exclude(task__in=tasks).update(enabled=False)
    assert PeriodicTask.objects.filter(task__in=tasks).update(interval=second, last_run_at=None) == len(tasks)


def communities(count: int) -> list[Community]:
    """Communities with an escalation rule of 3 people, 3 municipalities, 2 organisations, a coordinator,
    and one signal escalated already, so each slot has something to compile whatever the sweeps did."""
    made = []
    for number in range(count):
        community = CommunityFactory(min_recognitions=3, min_municipalities=3, min_organisations=2)
        coordinator = UserFactory(mfa=True)
        MembershipFactory(user=coordinator, community=community, role=Role.COORDINATOR)
        Signal.objects.create(
            community=community, author=coordinator, title=f"Al opgeschaald {number}", description="Eerder.",
            theme=Theme.objects.get(slug="housing"), municipality=Municipality.objects.get(cbs_code=PLACES[0]),
            status=Status.ESCALATED, escalated_at=timezone.now(),
        )  # fmt: skip
        made.append(community)
    return made


def slots_one_per_second(communities: list[Community], start: datetime.datetime) -> None:
    """Community ``n``'s weekly slot falls ``n`` seconds after ``start``: one new slot in each period.
    Made a day ago, so last week's slot predates each and none is due before its moment."""
    for number, community in enumerate(communities):
        moment = (start + datetime.timedelta(seconds=number)).astimezone(timezone.get_default_timezone())
        community.digest_weekday, community.digest_time = moment.weekday(), moment.time()
        community.created_at = start - datetime.timedelta(days=1)
        community.save(update_fields=["digest_weekday", "digest_time", "created_at"])


def at_the_rule(community: Community, people: list[User], count: int, label: str) -> list[Signal]:
    """``count`` open signals recognised by ``people`` in three places: the sweep escalates them. Made in
    bulk, so nothing is scheduled: only beat's sweeps find them."""
    places = [Municipality.objects.get(cbs_code=code) for code in PLACES]
    signals = Signal.objects.bulk_create(
        Signal(
            community=community, author=people[0], title=f"Knelpunt {label}.{n}", description="In drie gemeenten.",
            theme=Theme.objects.get(slug="housing"), municipality=places[0], recognition_count=3,
            municipality_count=3, organisation_count=3,
        )
        for n in range(count)
    )  # fmt: skip
    Recognition.objects.bulk_create(
        Recognition(signal=signal, user=person, municipality=place, organisation=person.organisation)
        for signal in signals
        for person, place in zip(people, places, strict=True)
    )
    return signals


def test_two_beats_over_ten_periods_escalate_each_signal_once_and_compile_each_slot_once(stack: Stack) -> None:
    every_second([SWEEP, COMPILE])
    made = communities(PERIODS)
    slots_one_per_second(made, timezone.now() + datetime.timedelta(days=1))  # none due while processes start
    people = {community.pk: recognisers(community, list(PLACES)) for community in made}
    signal_ids = [s.pk for c in made for s in at_the_rule(c, people[c.pk], 3, "0")]
    name = uuid.uuid4().hex[:6]
    with celery_worker(stack.env, f"a-{name}") as first, celery_worker(stack.env, f"b-{name}") as second:
        with celery_beat(stack.env) as one, celery_beat(stack.env) as two:
            start = timezone.now() + datetime.timedelta(seconds=1)
            slots_one_per_second(made, start)
            for period, community in enumerate(made, start=1):
                # Fresh work in each period: each pair of sweeps races over new rows.
                signal_ids += [s.pk for s in at_the_rule(community, people[community.pk], 2, str(period))]
                wait_until(
                    lambda period=period: min(beat.sent(t) for beat in (one, two) for t in (SWEEP, COMPILE)) >= period,
                    f"both beats fire period {period}",
                    timeout=10,
                )
            wait_until(lambda: timezone.now() > start + datetime.timedelta(seconds=PERIODS), "the last slot is due")
            after = min(one.sent(COMPILE), two.sent(COMPILE))
            wait_until(lambda: min(one.sent(COMPILE), two.sent(COMPILE)) >= after + 2, "compiles after the last slot")
            one.stop()
            two.stop()
            fired = {task: one.sent(task) + two.sent(task) for task in (SWEEP, COMPILE)}

        def ran() -> dict[str, int]:
            return {task: first.succeeded(task) + second.succeeded(task) for task in (SWEEP, COMPILE)}

        wait_until(lambda: ran() == fired, f"the workers run every task beat sent: {fired}")

    transitions = Counter(
        SignalEvent.objects.filter(kind=EventKind.TRANSITION, to_status=Status.ESCALATED).values_list(
            "signal_id", flat=True
        )
    )
    notified = (
        Notification.objects.filter(kind=Kind.ESCALATED).values("recipient_id", "subject_key").annotate(n=Count("pk"))
    )
    digests = Counter(Digest.objects.values_list("community_id", "slot"))
    items = Counter(DigestItem.objects.values_list("signal_id", flat=True))
    figures = {
        "beat sends": fired,
        "signals": len(signal_ids),
        "escalation duplicates": sum(n - 1 for n in transitions.values()),
        "notification duplicates": sum(row["n"] - 1 for row in notified),
        "digests": len(digests),
        "digest duplicates": sum(n - 1 for n in digests.values()),
        "item duplicates": sum(n - 1 for n in items.values()),
    }
    print(f"\nTwo beats over {PERIODS} periods: {figures}")
    assert min(fired.values()) >= 2 * PERIODS  # both beats fired every period: the duplicates did happen
    assert transitions == dict.fromkeys(signal_ids, 1)
    assert {row["n"] for row in notified} == {1}
    assert len(notified) == len(signal_ids) * 4  # the three recognisers (one reported it) and the coordinator
    now = timezone.now()
    expected = {(c.pk, slot_due(Community.objects.get(pk=c.pk), now)): 1 for c in made}
    assert digests == expected
    assert set(items.values()) == {1}
