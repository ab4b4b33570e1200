"""End to end in Debian's Chromium: a status holder signs in with an emailed code in the Arabic interface
and reports a signal in Arabic; a professional recognises it in Dutch and sees it under a pseudonym."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from community.models import User
from signals.models import Recognition, Signal, Theme
from tests.browser import Watch, chromium
from tests.inclusion.scan import check_page, context_for
from tests.inclusion.world import World
from tests.servers import Mailbox, wait_until

pytestmark = pytest.mark.django_db  # the world is committed by the package's fixture

TITLE = "لا توجد دروس لغة في المساء"
DESCRIPTION = "أعمل في النهار ولا أستطيع الذهاب إلى دروس اللغة. المدرسة في تيلبورخ ليس لها دروس في المساء."


def arabic(text: str) -> str:
    with translation.override("ar"):
        return gettext(text)


def test_a_status_holder_reports_in_arabic_and_a_professional_recognises_it_in_dutch(
    live_url: str, world: World, inbox: Mailbox
) -> None:
    samira = User.objects.get(email="samira@knooppunt.test")
    theme = Theme.objects.get(slug="civic-integration").name_ar  # themes are translated in the database
    with chromium() as browser:
        # Samira, not signed in, reads the site in Arabic, right to left.
        context = context_for(browser, live_url, world, "anonymous", "ar")
        page = context.new_page()
        watch = Watch(page, live_url)
        page.goto(f"{live_url}/accounts/login/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        page.get_by_role("link", name=arabic("Send me a sign-in code")).click()
        page.locator("main input[name=email]").fill(samira.email)  # allauth's own labels and buttons
        page.locator("main form [type=submit]").click()
        wait_until(lambda: bool(inbox.to(samira.email)), "the sign-in code mail")
        page.locator("main input[name=code]").fill(inbox.code_sent_to(samira.email))
        page.locator("main form [type=submit]").first.click()
        expect(page.get_by_role("link", name=arabic("Report a signal"))).to_be_visible()

        # The short form in plain words; the municipality is hers already.
        page.get_by_role("link", name=arabic("Report a signal")).click()
        page.get_by_label(arabic("What is the problem? Say it in one line.")).fill(TITLE)
        page.get_by_label(arabic("What happened? Where? Since when?")).fill(DESCRIPTION)
        page.get_by_label(arabic("What is it about?")).select_option(label=theme)
        page.get_by_role("button", name=arabic("Report")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
        problems = check_page(page, "the new signal in Arabic", "ar") + watch.problems
        signal_path = page.url.removeprefix(live_url)
        context.close()

        # Jeroen, a professional in Waalwijk, recognises it in Dutch; her name stays hidden.
        context = context_for(browser, live_url, world, "member", "nl")
        page = context.new_page()
        watch = Watch(page, live_url)
        page.goto(live_url + signal_path)
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        expect(page.get_by_role("heading", level=1)).to_have_attribute("dir", "auto")
        page.get_by_role("button", name="Dit speelt hier ook").click()
        expect(page.locator("#recognition-figures")).to_contain_text("Herkend door 2 mensen in 2 gemeenten")
        shown = page.locator("main").inner_text()
        problems += check_page(page, "the Arabic signal in Dutch", "nl") + watch.problems
        context.close()

    signal = Signal.objects.get(title=TITLE)
    assert signal.language == "ar" and signal.author_id == samira.pk
    assert Recognition.objects.filter(signal=signal, user_id=world.users["member"]).exists()
    assert "Samira" not in shown and "Gemeld door een statushouder in Hart van Brabant" in shown
    assert problems == []
