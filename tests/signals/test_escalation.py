"""Escalation by the rule and by hand, in this process (the real-worker tests are in test_escalation_workers).

Tasks run eagerly here, as in embedded mode; ``django_capture_on_commit_callbacks(execute=True)``
stands for the commit that schedules them.
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from rest_framework.test import APIClient

from community.models import Community, Municipality, Role, User, UserKind
from community.services import community_settings_update
from notifications.models import Kind, Notification
from signals import escalation, tasks
from signals.models import EventKind, Signal, SignalEvent, Status, Theme
from signals.services import recognition_add, signal_create, signal_follow, signal_hide, signal_merge
from signals.workflow import signal_transition
from tests.factories import UserFactory
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db

Commit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


@pytest.fixture
def coordinator(make_member: MakeMember) -> User:
    return make_member("GM0855", role=Role.COORDINATOR, organisation="Gemeente Tilburg", display_name="Cora")


def escalation_entries(signal: Signal) -> list[SignalEvent]:
    return list(signal.events.filter(kind=EventKind.TRANSITION, to_status=Status.ESCALATED))


def escalated_notifications(signal: Signal) -> dict[int, int]:
    """Recipient id → how many "escalated" notifications about the signal."""
    counts: dict[int, int] = {}
    for recipient_id in Notification.objects.filter(kind=Kind.ESCALATED, subject_key=f"signal:{signal.pk}").values_list(
        "recipient_id", flat=True
    ):
        counts[recipient_id] = counts.get(recipient_id, 0) + 1
    return counts


def test_the_third_municipality_escalates_through_the_page_and_everyone_concerned_hears_once(
    client: Client,
    signal: Signal,
    rule_3_in_3: Community,
    make_member: MakeMember,
    coordinator: User,
    reporter: User,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    waalwijk = make_member("GM0867", organisation="Gemeente Waalwijk")
    gilze = make_member("GM0784", organisation="COA Gilze en Rijen")
    follower, bystander = make_member("GM0855"), make_member("GM0797")
    signal_follow(actor=follower, signal=signal)

    for person in (waalwijk, gilze):
        client.force_login(person)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("signal_recognise", args=[signal.pk]))
        signal.refresh_from_db()
        if person == waalwijk:
            assert signal.status == Status.OPEN  # 2 people in 2 municipalities: not yet

    assert signal.status == Status.ESCALATED and signal.escalated_at is not None
    [entry] = escalation_entries(signal)
    assert entry.actor is None and entry.reason == ""
    assert entry.figures == {
        "counters": {"recognitions": 3, "municipalities": 3, "organisations": 3, "status_holders": 0},
        "rule": {"recognitions": 3, "municipalities": 3, "organisations": 2, "status_holders": 0},
    }
    explanation = (
        "Recognised by 3 people in 3 municipalities and 3 organisations; "
        "rule: 3 people in 3 municipalities and 2 organisations."
    )
    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "by the escalation rule" in page and explanation in page
    client.cookies["django_language"] = "nl"
    dutch = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "Herkend door 3 mensen in 3 gemeenten" in dutch

    told = escalated_notifications(signal)
    assert told == {reporter.pk: 1, waalwijk.pk: 1, gilze.pk: 1, follower.pk: 1, coordinator.pk: 1}
    assert bystander.pk not in told


def test_below_the_rule_the_signal_stays_open_and_the_decision_says_how_far(
    signal: Signal, rule_3_in_3: Community
) -> None:
    decision = escalation.signal_evaluate(signal.pk)
    assert decision is not None and not decision.escalated
    assert decision.why == (
        "Herkend door 1 persoon in 1 gemeente en 1 organisatie; opschalen vraagt 3 mensen, 3 gemeenten, 2 organisaties."
    )
    signal.refresh_from_db()
    assert signal.status == Status.OPEN and escalation_entries(signal) == []


def meet(signal: Signal, make_member: MakeMember) -> None:
    """Two more recognitions from two more municipalities (the rule of ``rule_3_in_3``)."""
    recognition_add(actor=make_member("GM0867", organisation="Gemeente Waalwijk"), signal=signal)
    recognition_add(actor=make_member("GM0784", organisation="COA"), signal=signal)


def test_evaluating_again_changes_nothing(signal: Signal, rule_3_in_3: Community, make_member: MakeMember) -> None:
    meet(signal, make_member)
    first, second = escalation.signal_evaluate(signal.pk), escalation.signal_evaluate(signal.pk)
    assert first is not None and first.escalated
    assert second is not None and not second.escalated
    assert second.why == "Het is Opgeschaald; de regel schaalt alleen open signalen op."
    assert len(escalation_entries(signal)) == 1
    assert set(escalated_notifications(signal).values()) == {1}


def test_hidden_closed_and_vanished_signals_are_left_alone(
    signal: Signal, rule_3_in_3: Community, make_member: MakeMember, coordinator: User
) -> None:
    meet(signal, make_member)
    signal_hide(actor=coordinator, signal=signal, reason="Bevat een naam.")
    decision = escalation.signal_evaluate(signal.pk)
    assert decision is not None and not decision.escalated and decision.why == "Het is verborgen door een moderator."
    signal_transition(actor=coordinator, signal=signal, to=Status.CLOSED, outcome="no_longer_relevant")
    assert not escalation.signal_evaluate(signal.pk).escalated  # type: ignore[union-attr]
    assert escalation.signal_evaluate(2**31 - 1) is None
    assert tasks.signal_evaluate(2**31 - 1) is False  # the task returns quietly too
    assert escalation_entries(signal) == []


def another(reporter: User, community: Community, theme: Theme, title: str) -> Signal:
    return signal_create(
        actor=reporter,
        community=community,
        title=title,
        description="Het speelt overal.",
        theme=theme,
        municipality=Municipality.objects.get(cbs_code="GM0855"),
    )


def test_the_sweep_reads_only_signals_that_meet_their_rule_and_escalates_each_once(
    signal: Signal,
    rule_3_in_3: Community,
    make_member: MakeMember,
    reporter: User,
    housing: Theme,
    coordinator: User,
) -> None:
    below = another(reporter, rule_3_in_3, housing, "Nog lokaal")
    solved = another(reporter, rule_3_in_3, housing, "Al opgelost")
    for meeting in (signal, solved):
        meet(meeting, make_member)
    signal_transition(actor=coordinator, signal=solved, to=Status.RESOLVED_LOCALLY, lesson="Samen met de corporatie.")

    assert list(escalation.escalation_candidates()) == [signal]
    assert tasks.escalation_sweep() == 1
    assert tasks.escalation_sweep() == 0
    statuses = dict(Signal.objects.values_list("pk", "status"))
    assert statuses == {signal.pk: Status.ESCALATED, below.pk: Status.OPEN, solved.pk: Status.RESOLVED_LOCALLY}
    assert len(escalation_entries(signal)) == 1


def test_the_database_refuses_a_second_escalation_entry(signal: Signal) -> None:
    SignalEvent.objects.create(signal=signal, kind=EventKind.TRANSITION, from_status="open", to_status="escalated")
    with pytest.raises(IntegrityError), transaction.atomic():
        SignalEvent.objects.create(signal=signal, kind=EventKind.TRANSITION, from_status="open", to_status="escalated")


def test_only_the_system_escalates_by_the_rule(signal: Signal, coordinator: User) -> None:
    from signals.rules import Counters, Rule

    figures = (Counters(1, 1, 1, 0), Rule(1, 1, 1, 0))
    with pytest.raises(TypeError):
        signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, rule=figures)
    with pytest.raises(TypeError):
        signal_transition(actor=None, signal=signal, to=Status.REPORTED, rule=figures)


def test_a_merge_that_brings_the_survivor_over_the_rule_escalates_it(
    signal: Signal,
    rule_3_in_3: Community,
    make_member: MakeMember,
    housing: Theme,
    coordinator: User,
    django_capture_on_commit_callbacks: Commit,
) -> None:
    duplicate = another(make_member("GM0867", organisation="Gemeente Waalwijk"), rule_3_in_3, housing, "Dubbel")
    recognition_add(actor=make_member("GM0784", organisation="COA"), signal=duplicate)
    with django_capture_on_commit_callbacks(execute=True):
        signal_merge(actor=coordinator, source=duplicate, target=signal, reason="Hetzelfde knelpunt.")
    signal.refresh_from_db()
    assert signal.status == Status.ESCALATED


def test_lowering_the_rule_escalates_what_now_meets_it_at_once(
    signal: Signal, community: Community, coordinator: User, django_capture_on_commit_callbacks: Commit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        community_settings_update(
            actor=coordinator, community=community, min_recognitions=1, min_municipalities=1, min_organisations=1
        )
    signal.refresh_from_db()
    assert signal.status == Status.ESCALATED
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        community_settings_update(actor=coordinator, community=community, name="Nieuwe naam")
    assert callbacks == []  # not the rule: nothing to evaluate


# --- By hand: a coordinator, with a reason, on the page and in the API ----------------------------


def test_a_coordinator_escalates_by_hand_with_a_reason_on_the_page(
    client: Client, signal: Signal, coordinator: User, make_member: MakeMember
) -> None:
    client.force_login(make_member())
    move = {"to": "escalated", "reason": "Speelt ook in de buurregio."}
    assert client.post(reverse("signal_move", args=[signal.pk]), move).status_code == 403

    client.force_login(coordinator)
    client.cookies["django_language"] = "en"
    page = client.post(reverse("signal_move", args=[signal.pk]), {"to": "escalated"}, follow=True).content.decode()
    assert "Say why." in page
    signal.refresh_from_db()
    assert signal.status == Status.OPEN

    page = client.post(reverse("signal_move", args=[signal.pk]), move, follow=True).content.decode()
    assert "Speelt ook in de buurregio." in page and "by the escalation rule" not in page
    [entry] = escalation_entries(signal)
    assert (entry.actor, entry.reason, entry.figures) == (coordinator, move["reason"], None)
    # The rule finds it escalated already: no second entry, and escalation stays (it is permanent).
    assert not escalation.signal_evaluate(signal.pk).escalated  # type: ignore[union-attr]
    page = client.post(reverse("signal_move", args=[signal.pk]), {"to": "open", "reason": "x"}, follow=True)
    signal.refresh_from_db()
    assert signal.status == Status.ESCALATED and len(escalation_entries(signal)) == 1


def test_a_coordinator_escalates_by_hand_in_the_api(signal: Signal, coordinator: User) -> None:
    api = APIClient()
    api.force_authenticate(coordinator)
    url = f"/api/v1/signals/{signal.pk}/transitions/"
    response = api.post(url, {"to": "escalated"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "reason_required")
    response = api.post(url, {"to": "escalated", "reason": "Landelijke regel."}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "escalated" and response.json()["escalated"] is not None
    response = api.post(url, {"to": "escalated", "reason": "Nog eens."}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "illegal_transition")


# --- The command and the schedule ------------------------------------------------------------------


def test_the_command_says_what_it_decided_and_why(
    signal: Signal, rule_3_in_3: Community, make_member: MakeMember, reporter: User, housing: Theme
) -> None:
    below = another(reporter, rule_3_in_3, housing, "Nog lokaal")
    meet(signal, make_member)
    out = io.StringIO()
    call_command("escalate", "--signal", str(signal.pk), "--language", "en", stdout=out)
    assert out.getvalue().splitlines() == [
        f"#{signal.pk} {signal.title!r}: escalated. Recognised by 3 people in 3 municipalities and 3 organisations; "
        "rule: 3 people in 3 municipalities and 2 organisations.",
        "1 evaluated, 1 escalated.",
    ]
    out = io.StringIO()
    call_command("escalate", stdout=out)  # every open signal, in the site's language (Dutch)
    assert out.getvalue().splitlines() == [
        f"#{below.pk} 'Nog lokaal': not escalated. Herkend door 1 persoon in 1 gemeente en 1 organisatie; "
        "opschalen vraagt 3 mensen, 3 gemeenten, 2 organisaties.",
        "1 evaluated, 0 escalated.",
    ]
    with pytest.raises(CommandError, match="no signal"):
        call_command("escalate", "--signal", "999999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no community"):
        call_command("escalate", "--community", "nowhere", stdout=io.StringIO())


def test_the_sweep_is_on_beat_every_15_minutes_and_editable_in_the_admin(client: Client) -> None:
    from django.apps import apps

    schedule = importlib.import_module("signals.migrations.0008_escalation_sweep_schedule")
    schedule.create(apps, None)  # idempotent; a transactional test before this one may have emptied the table
    task = PeriodicTask.objects.get(name="signals: escalation sweep")
    assert (task.task, task.enabled, task.interval.every, task.interval.period) == (
        "signals.escalation_sweep",
        True,
        15,
        "minutes",
    )
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])).status_code == 200


def test_status_holder_minimum_in_the_rule(
    signal: Signal, rule_3_in_3: Community, make_member: MakeMember, django_capture_on_commit_callbacks: Commit
) -> None:
    rule_3_in_3.min_status_holder_recognitions = 1
    rule_3_in_3.save()
    with django_capture_on_commit_callbacks(execute=True):
        meet(signal, make_member)
    signal.refresh_from_db()
    assert signal.status == Status.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        recognition_add(actor=make_member("GM0797", kind=UserKind.STATUS_HOLDER, organisation=None), signal=signal)
    signal.refresh_from_db()
    assert signal.status == Status.ESCALATED


def test_a_database_that_is_briefly_away_is_retried_with_back_off_and_other_errors_are_not(
    signal: Signal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.exceptions import Retry
    from django.db import OperationalError

    def away(signal_id: int) -> None:
        raise OperationalError("the server closed the connection unexpectedly")

    monkeypatch.setattr(escalation, "signal_evaluate", away)
    for task in (tasks.signal_evaluate, tasks.escalation_sweep):
        args = [signal.pk] if task is tasks.signal_evaluate else []
        monkeypatch.setattr(escalation, "escalation_sweep", away)
        with pytest.raises(Retry) as retry:
            task.apply(args=args).get()
        assert isinstance(retry.value.exc, OperationalError)
        assert 0 <= float(retry.value.when) <= 5  # the first wait: jittered, up to retry_backoff seconds
        assert (task.max_retries, task.retry_backoff_max) == (6, 300)

    monkeypatch.setattr(escalation, "signal_evaluate", lambda signal_id: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tasks.signal_evaluate.apply(args=[signal.pk]).get()
