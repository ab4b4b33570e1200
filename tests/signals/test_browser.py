"""Two people in two browser contexts on one signal page: each sees the other's messages and the
recognition count change live, with nothing loaded from elsewhere and no script error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from community.models import Role, User
from signals.models import Message, Recognition, Signal
from tests.browser import Watch, chromium, signed_in
from tests.factories import session_key
from tests.servers import app_server
from tests.signals.conftest import MakeMember

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def live_url(worker_redis_env: dict[str, str]) -> Iterator[str]:
    """One uvicorn serving pages and sockets, on this worker's own Redis database."""
    with app_server("uvicorn", worker_redis_env) as base:
        yield base


def test_two_people_see_each_others_messages_and_the_recognition_count_live(
    live_url: str, signal: Signal, make_member: MakeMember
) -> None:
    noor = make_member("GM0766", display_name="Noor Haddad")
    yonas = make_member("GM0785", display_name="Yonas Tesfaye", organisation="COA Gilze")
    sessions = session_key(noor), session_key(yonas)
    with chromium() as browser:
        context_noor, context_yonas = browser.new_context(locale="nl-NL"), browser.new_context(locale="nl-NL")
        page_noor = signed_in(context_noor, live_url, sessions[0])
        page_yonas = signed_in(context_yonas, live_url, sessions[1])
        watches = [Watch(page_noor, live_url), Watch(page_yonas, live_url)]
        url = f"{live_url}/signals/{signal.pk}/"
        for page in (page_noor, page_yonas):
            page.goto(url)
            expect(page.locator("[data-connection]")).to_have_text("Verbonden")
        expect(page_noor.locator("[data-presence]")).to_have_text("2 mensen hier")

        # Noor writes; Yonas sees it without reloading, and Noor's form is empty again.
        page_noor.get_by_label("Je bericht").fill("Ook in **Dongen** wachten mensen maanden.")
        page_noor.get_by_role("button", name="Versturen").click()
        expect(page_yonas.locator("#messages")).to_contain_text("Ook in Dongen wachten mensen maanden.")
        expect(page_yonas.locator("#messages .body strong")).to_have_text("Dongen")
        expect(page_yonas.locator("[data-announcer]")).to_have_text("Nieuw bericht van Noor Haddad")
        expect(page_noor.get_by_label("Je bericht")).to_have_value("")
        # The arrival brings the viewer's own actions: a flag for Yonas, change and delete for Noor.
        expect(
            page_yonas.locator("#messages .entry").last.get_by_role("button", name=re.compile("moderator"))
        ).to_be_visible()
        expect(page_noor.locator("#messages .entry").last.get_by_role("link", name="Wijzigen")).to_be_visible()

        # Yonas recognises the signal; Noor's count changes live.
        expect(page_noor.locator("#recognition-figures")).to_contain_text("Herkend door 1 persoon")
        page_yonas.get_by_role("button", name="Dit speelt hier ook").click()
        expect(page_noor.locator("#recognition-figures")).to_contain_text("Herkend door 2 mensen in 2 gemeenten")
        expect(page_noor.locator("#recognition-figures")).to_contain_text("Goirle: 1")

        # Yonas answers; Noor sees it, and her bell (she follows the signal since she wrote) counts it.
        expect(page_noor.locator("[data-bell] [data-unread]")).to_be_hidden()
        page_yonas.get_by_label("Je bericht").fill("Herkenbaar, bij ons ook.")
        page_yonas.get_by_role("button", name="Versturen").click()
        expect(page_noor.locator("#messages")).to_contain_text("Herkenbaar, bij ons ook.")
        expect(page_noor.locator("[data-bell] [data-unread]")).to_have_text("1 ongelezen")
        expect(page_noor.locator("[data-bell-announcer]")).to_have_text(f"Yonas Tesfaye schreef bij “{signal.title}”")
        problems = [problem for watch in watches for problem in watch.problems]
        context_noor.close()
        context_yonas.close()
    assert problems == []
    assert Message.objects.filter(signal=signal).count() == 2
    assert Recognition.objects.filter(signal=signal, user=yonas).exists()


def test_one_click_on_a_check_back_link_records_the_answer_in_the_browser(
    live_url: str, signal: Signal, make_member: MakeMember, reporter: User
) -> None:
    """The link's page sends the answer by script (CSP allows only our own files): one click is enough."""
    from signals import checkbacks
    from signals.models import CheckBackAnswer, Status
    from signals.workflow import signal_transition

    signal_transition(actor=make_member(role=Role.MODERATOR), signal=signal, to=Status.RESOLVED_LOCALLY, lesson="Ja.")
    [resolution] = checkbacks.resolutions_due(timezone.now() + timedelta(weeks=5))
    checkbacks.checkback_ask(resolution)
    answer = CheckBackAnswer.objects.get(user=reporter)
    with chromium() as browser:
        page = browser.new_context(locale="nl-NL").new_page()
        watch = Watch(page, live_url)
        page.goto(f"{live_url}/check-backs/{checkbacks.token_for(answer, True)}/")
        expect(page.get_by_role("status")).to_contain_text("je antwoord is opgeslagen")
        problems = watch.problems
    answer.refresh_from_db()
    assert answer.still_a_problem is True and answer.answered_at is not None
    assert problems == []
