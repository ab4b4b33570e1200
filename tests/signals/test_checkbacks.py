"""Check-backs: asked once, answered by a signed link once, reopening exactly at the threshold."""

from __future__ import annotations

import datetime
import re
from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Community, Role, User
from notifications.models import Kind, Notification
from notifications.services import preferences_set
from signals import checkbacks
from signals.models import CheckBack, CheckBackAnswer, EventKind, Signal, SignalEvent, Status
from signals.services import recognition_add
from signals.tasks import checkbacks_due
from signals.workflow import signal_transition
from tests.servers import Mailbox
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db

WEEKS = datetime.timedelta(weeks=4)


@pytest.fixture
def solved(signal: Signal, make_member: MakeMember) -> tuple[Signal, list[User]]:
    """Recognised by six people, solved locally (the reporter and the six are asked later)."""
    recognisers = [make_member(code) for code in ("GM0867", "GM0784", "GM0797", "GM0798", "GM0809", "GM0766")]
    for person in recognisers:
        recognition_add(actor=person, signal=signal)
    moderator = make_member(role=Role.MODERATOR)
    signal_transition(actor=moderator, signal=signal, to=Status.RESOLVED_LOCALLY, lesson="Samen met de corporatie.")
    return signal, recognisers


def asked_at(now: datetime.datetime) -> int:
    return checkbacks.checkbacks_ask_due(now)


def links(message: Any) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    yes, no = re.findall(r"http://testserver(/check-backs/[^/\s]+/)", text)
    return yes, no


def test_asked_once_after_four_weeks_in_the_app_and_by_mail(
    solved: tuple[Signal, list[User]], reporter: User, smtp: Mailbox, make_member: MakeMember
) -> None:
    signal, recognisers = solved
    assert asked_at(timezone.now() + WEEKS - datetime.timedelta(hours=1)) == 0  # not yet
    later = timezone.now() + WEEKS + datetime.timedelta(hours=1)
    assert asked_at(later) == 1
    assert asked_at(later) == 0  # the task again: nobody is asked twice
    assert checkbacks_due() == 0
    asked = {reporter.pk, *(p.pk for p in recognisers)}
    assert set(CheckBackAnswer.objects.values_list("user_id", flat=True)) == asked
    told = Counter(Notification.objects.filter(kind=Kind.CHECK_BACK).values_list("recipient_id", flat=True))
    assert told == dict.fromkeys(asked, 1)
    assert not Notification.objects.filter(kind=Kind.CHECK_BACK, emailed_at=None).exists()  # no second mail
    mailed = Counter(address for recipients, _message in smtp.received for address in recipients)
    assert mailed == dict.fromkeys(User.objects.filter(pk__in=asked).values_list("email", flat=True), 1)
    [(_to, message)] = [(r, m) for r, m in smtp.received if reporter.email in r]
    assert message["List-Unsubscribe"] and "nog een probleem" in message["Subject"]


def test_a_community_sets_its_own_wait(solved: tuple[Signal, list[User]], community: Community) -> None:
    Community.objects.filter(pk=community.pk).update(checkback_weeks=8)
    assert asked_at(timezone.now() + WEEKS + datetime.timedelta(days=1)) == 0
    assert asked_at(timezone.now() + 2 * WEEKS + datetime.timedelta(days=1)) == 1


def test_one_click_from_the_mail_records_the_answer_once_without_signing_in(
    client: Client, solved: tuple[Signal, list[User]], reporter: User, smtp: Mailbox
) -> None:
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    [message] = smtp.to(reporter.email)
    yes, no = links(message)
    # Opening the link (a person, or a mail scanner) records nothing yet: the page's script sends it.
    page = client.get(yes).content.decode()
    assert "data-auto-submit" in page and "/js/check_back." in page
    answer = CheckBackAnswer.objects.get(user=reporter)
    assert answer.answered_at is None
    page = client.post(yes).content.decode()
    assert "je antwoord is opgeslagen" in page.lower()
    answer.refresh_from_db()
    first = answer.answered_at
    assert answer.still_a_problem is True and first is not None
    again = client.post(no).content.decode()  # the other link, later: the first answer stands
    assert "al geantwoord" in again
    answer.refresh_from_db()
    assert (answer.still_a_problem, answer.answered_at) == (True, first)
    client.post(yes, {"note": "Nog steeds wachtlijsten."})
    client.post(yes, {"note": "Overschreven?"})
    answer.refresh_from_db()
    assert answer.note == "Nog steeds wachtlijsten."
    assert client.get("/check-backs/vervalst/").status_code == 404
    assert client.get(yes[:-5] + "xxxx/").status_code == 404


def test_a_note_with_a_nul_character_is_stored_without_it(
    client: Client, solved: tuple[Signal, list[User]], reporter: User
) -> None:
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    answer = CheckBackAnswer.objects.get(user=reporter)
    url = reverse("check_back_answer", args=[checkbacks.token_for(answer, False)])
    assert client.post(url, {"note": "Opgelost\x00 echt."}).status_code == 200
    answer.refresh_from_db()
    assert (answer.still_a_problem, answer.note) == (False, "Opgelost echt.")


def test_a_hidden_signal_is_neither_mailed_nor_shown_through_the_link(
    client: Client, solved: tuple[Signal, list[User]], reporter: User, smtp: Mailbox, make_member: MakeMember
) -> None:
    from signals.services import signal_hide

    signal, _recognisers = solved
    asked = timezone.now() + WEEKS + datetime.timedelta(hours=1)
    [resolution] = checkbacks.resolutions_due(asked)
    checkbacks.checkback_ask(resolution)
    signal_hide(actor=make_member(role=Role.MODERATOR), signal=signal, reason="Er staat een naam in.")
    checkbacks.checkbacks_mail()
    assert smtp.received == []
    answer = CheckBackAnswer.objects.get(user=reporter)
    url = reverse("check_back_answer", args=[checkbacks.token_for(answer, True)])
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404


def test_reopening_by_hand_closes_the_question_and_a_later_solution_is_asked_once(
    client: Client, solved: tuple[Signal, list[User]], reporter: User, make_member: MakeMember, smtp: Mailbox
) -> None:
    signal, recognisers = solved
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    first = CheckBack.objects.get()
    coordinator = make_member(role=Role.COORDINATOR)
    signal_transition(actor=coordinator, signal=signal, to=Status.OPEN, reason="Toch niet opgelost.")
    first.refresh_from_db()
    assert first.closed_at is not None
    old = CheckBackAnswer.objects.get(check_back=first, user=reporter)
    page = client.post(reverse("check_back_answer", args=[checkbacks.token_for(old, True)])).content.decode()
    assert "gesloten" in page
    # Solved again: only the new solution is asked about, once, and old answers do not count for it.
    signal_transition(actor=coordinator, signal=signal, to=Status.RESOLVED_LOCALLY, lesson="Nu echt.")
    later = timezone.now() + 2 * WEEKS + datetime.timedelta(hours=2)
    assert asked_at(later) == 1 and asked_at(later) == 0
    assert CheckBack.objects.count() == 2


@pytest.mark.parametrize(
    ("yes", "no", "reopens"),
    [
        (2, 0, False),  # 100% but fewer than 3
        (3, 0, True),  # exactly 3, all of them
        (3, 3, True),  # exactly half
        (3, 4, False),  # 3 of 7: under half
        (3, 1, True),
    ],
)
def test_the_signal_reopens_exactly_at_the_threshold(
    solved: tuple[Signal, list[User]], reporter: User, yes: int, no: int, reopens: bool
) -> None:
    signal, recognisers = solved
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    people = [reporter, *recognisers]
    answers = [True] * yes + [False] * no
    # The "no" answers first, so the threshold is judged on the full count.
    for person, still in zip(people, sorted(answers), strict=False):
        question = CheckBackAnswer.objects.get(user=person)
        checkbacks.checkback_answer(answer=question, still_a_problem=still)
    signal.refresh_from_db()
    assert (signal.status == Status.OPEN) is reopens
    reopenings = SignalEvent.objects.filter(signal=signal, kind=EventKind.TRANSITION, to_status=Status.OPEN)
    assert reopenings.count() == (1 if reopens else 0)
    if reopens:
        assert reopenings.get().reason == (
            f"Terugvraag: {yes} van de {yes + no} mensen die antwoordden zeggen dat het nog een probleem is."
        )
        assert CheckBack.objects.get().reopened


def test_after_reopening_the_question_is_closed(
    solved: tuple[Signal, list[User]], reporter: User, client: Client
) -> None:
    signal, recognisers = solved
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    for person in [reporter, *recognisers][:3]:
        checkbacks.checkback_answer(answer=CheckBackAnswer.objects.get(user=person), still_a_problem=True)
    last = CheckBackAnswer.objects.get(user=recognisers[-1])
    page = client.post(reverse("check_back_answer", args=[checkbacks.token_for(last, False)])).content.decode()
    assert "gesloten" in page
    last.refresh_from_db()
    assert last.answered_at is None


def test_signed_in_people_answer_on_the_signal_page(
    client: Client, solved: tuple[Signal, list[User]], reporter: User
) -> None:
    signal, _recognisers = solved
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    client.force_login(reporter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert "Is this still a problem?" in page
    client.post(reverse("signal_check_back", args=[signal.pk]), {"answer": "no", "note": "Opgelost."})
    answer = CheckBackAnswer.objects.get(user=reporter)
    assert (answer.still_a_problem, answer.note) == (False, "Opgelost.")
    assert "Is this still a problem?" not in client.get(reverse("signal_detail", args=[signal.pk])).content.decode()
    assert client.post(reverse("signal_check_back", args=[signal.pk]), {"answer": "yes"}).status_code == 404


def test_no_mail_for_people_who_switched_check_backs_off(
    solved: tuple[Signal, list[User]], reporter: User, smtp: Mailbox
) -> None:
    preferences_set(user=reporter, frequencies={Kind.CHECK_BACK: "never"})
    asked_at(timezone.now() + WEEKS + datetime.timedelta(hours=1))
    assert smtp.to(reporter.email) == [] and len(smtp.received) == 6
    assert Notification.objects.filter(recipient=reporter, kind=Kind.CHECK_BACK).exists()  # in the app still
