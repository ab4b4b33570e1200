"""Keyboard only, in Debian's Chromium: the paths people take most, each control reached with Tab and
used with Enter, with a visible focus indicator at every stop; the skip link, live regions, charts with a
text alternative and statuses told in words."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser import Watch, chromium
from tests.inclusion.scan import context_for
from tests.inclusion.world import World
from tests.servers import Mailbox, wait_until

pytestmark = pytest.mark.django_db  # the world is committed by the package's fixture

# The focused element, with what makes its focus visible: an outline or a box shadow that is drawn.
FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const label = (el.textContent || el.name || "").trim().slice(0, 40);
  return {visible: outline || style.boxShadow !== "none", name: `${el.tagName.toLowerCase()}#${el.id} ${label}`};
}"""


class Keyboard:
    """Tab through a page as a keyboard user does, noting any stop whose focus cannot be seen."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.unseen: list[str] = []

    def tab_to(self, target: Locator, *, limit: int = 80) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focus = self.page.evaluate(FOCUS)
            if focus and not focus["visible"]:
                self.unseen.append(f"{self.page.url}: {focus['name']}")
            if target.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"{target} not reached with Tab in {limit} presses on {self.page.url}")

    def type_into(self, target: Locator, text: str) -> None:
        self.tab_to(target)
        self.page.keyboard.type(text)

    def choose(self, target: Locator, label: str) -> None:
        """Pick an option of a select box by typing its first letters, as a keyboard user does."""
        self.tab_to(target)
        self.page.keyboard.type(label)
        expect(target.locator("option:checked")).to_have_text(re.compile(re.escape(label)))

    def press(self, target: Locator, key: str = "Enter", *, navigates: bool = False) -> None:
        self.tab_to(target)
        if navigates:
            with self.page.expect_navigation(timeout=30_000):
                self.page.keyboard.press(key)
        else:
            self.page.keyboard.press(key)

    def submit(self) -> None:
        """Enter in a text field sends its form."""
        with self.page.expect_navigation(timeout=30_000):
            self.page.keyboard.press("Enter")


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(live_url: str, world: World) -> None:
    with chromium() as browser:
        page = context_for(browser, live_url, world, "member", "nl").new_page()
        page.goto(f"{live_url}/signals/")
        page.keyboard.press("Tab")
        skip = page.get_by_role("link", name="Naar de inhoud")
        expect(skip).to_be_focused()
        expect(skip).to_be_in_viewport()
        focus = page.evaluate(FOCUS)
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
    assert focus["visible"]


def test_a_person_signs_in_with_an_emailed_code_by_keyboard(live_url: str, world: World, inbox: Mailbox) -> None:
    with chromium() as browser:
        page = context_for(browser, live_url, world, "anonymous", "nl").new_page()
        watch, keys = Watch(page, live_url), Keyboard(page)
        page.goto(f"{live_url}/accounts/login/")
        keys.press(page.get_by_role("link", name="Stuur me een inlogcode"), navigates=True)
        keys.type_into(page.get_by_label("E-mailadres"), "linda@knooppunt.test")
        keys.submit()
        wait_until(lambda: bool(inbox.to("linda@knooppunt.test")), "the sign-in code mail")
        keys.type_into(page.get_by_label("Code"), inbox.code_sent_to("linda@knooppunt.test"))
        keys.submit()
        expect(page.get_by_role("button", name="Uitloggen (Linda Smits)")).to_be_visible()
    assert keys.unseen == [] and watch.problems == []


def test_a_member_reports_recognises_and_discusses_by_keyboard(live_url: str, world: World) -> None:
    with chromium() as browser:
        page = context_for(browser, live_url, world, "member", "nl").new_page()
        watch, keys = Watch(page, live_url), Keyboard(page)

        # Report a signal.
        page.goto(f"{live_url}/signals/new/")
        keys.type_into(page.get_by_label("Titel"), "Inburgeringsexamen pas na een jaar mogelijk")
        keys.type_into(
            page.get_by_label("Beschrijving"), "De wachttijd voor het examen is in Waalwijk opgelopen tot een jaar."
        )
        keys.choose(page.get_by_label("Thema"), "Inburgering")
        keys.press(page.get_by_role("button", name="Melden"), navigates=True)
        expect(page.get_by_role("heading", level=1)).to_have_text("Inburgeringsexamen pas na een jaar mogelijk")

        # Recognise someone else's signal: the count changes and is announced.
        page.goto(f"{live_url}/signals/{world.signal}/")
        expect(page.locator("[data-connection]")).to_have_text("Verbonden")
        keys.press(page.get_by_role("button", name="Dit speelt hier ook"))
        expect(page.get_by_role("button", name="Mijn herkenning intrekken")).to_be_visible()

        # Post a message: it appears in the discussion, announced by its live region.
        keys.type_into(page.get_by_label("Je bericht"), "Met het toetsenbord geschreven.")
        keys.press(page.get_by_role("button", name="Versturen"))
        expect(page.locator("#messages")).to_contain_text("Met het toetsenbord geschreven.")
        expect(page.get_by_label("Je bericht")).to_have_value("")
        live = {
            "announcer": page.locator("[data-announcer]").get_attribute("aria-live"),
            "bell": page.locator("[data-bell-announcer]").get_attribute("aria-live"),
        }
    assert live == {"announcer": "polite", "bell": "polite"}
    assert keys.unseen == [] and watch.problems == []


def test_a_coordinator_approves_a_digest_by_keyboard(live_url: str, world: World) -> None:
    with chromium() as browser:
        page = context_for(browser, live_url, world, "coordinator", "nl").new_page()
        watch, keys = Watch(page, live_url), Keyboard(page)
        page.goto(f"{live_url}/digests/{world.draft_digest}/")
        keys.press(page.get_by_role("button", name="Goedkeuren en versturen"), navigates=True)
        expect(page.get_by_role("status")).to_contain_text("Goedgekeurd")
        expect(page.get_by_role("link", name=re.compile("PDF"))).to_be_visible()
    assert keys.unseen == [] and watch.problems == []


def test_charts_have_a_text_alternative_and_statuses_are_told_in_words(live_url: str, world: World) -> None:
    with chromium() as browser:
        page = context_for(browser, live_url, world, "coordinator", "nl").new_page()
        page.goto(f"{live_url}/dashboard/")
        charts = page.locator("figure svg")
        assert charts.count() >= 3
        alternatives = page.locator("figure").evaluate_all(
            """figures => figures.map((figure) => {
                 const svg = figure.querySelector("svg");
                 const named = svg.getAttribute("role") === "img"
                   && (svg.getAttribute("aria-label") || svg.querySelector("title"));
                 const table = figure.querySelector("table caption");
                 return Boolean(named || svg.getAttribute("aria-hidden") === "true")
                   && Boolean(table && table.textContent.trim());
               })"""
        )
        page.goto(f"{live_url}/signals/")
        statuses = page.locator(".status").all_inner_texts()
    assert alternatives and all(alternatives)
    assert statuses and all(text.strip() for text in statuses)
