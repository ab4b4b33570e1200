"""WCAG 2.1 AA in Debian's Chromium: every page of the URL table for every role in Dutch, and for a member
in English and Arabic, scanned by axe-core with zero violations; each page also reflows to 320 px, loads
nothing from another host, raises no script error and stays light."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, expect

from tests.browser import Watch, chromium
from tests.inclusion.pages import ADMIN_KINDS, PAGES, NotAPage, admin_kind, entry_for, screens_for, url_names
from tests.inclusion.scan import Weight, check_page, context_for
from tests.inclusion.world import FLOW_PASSWORD, ROLES, World
from tests.servers import Mailbox

SIGNAL_PAGE_LIMIT = 150 * 1024  # bytes of HTML + CSS + JS, compressed, on the signal pages

pytestmark = pytest.mark.django_db  # the world is committed by the package's fixture; each test only reads


def test_every_url_pattern_is_in_the_table() -> None:
    names = set(url_names())
    missing = sorted(name for name in names if entry_for(name) is None)
    assert not missing, f"add these URL patterns to tests/inclusion/pages.py (a Screen or a NotAPage): {missing}"
    stale = sorted(set(PAGES) - names)
    assert not stale, f"tests/inclusion/pages.py names patterns that no longer exist: {stale}"
    kinds = {admin_kind(name) for name in names if name.startswith("admin:")}
    assert set(ADMIN_KINDS) == kinds, f"admin page kinds changed: {sorted(kinds ^ set(ADMIN_KINDS))}"
    assert all(isinstance(entry, NotAPage) or entry.roles for entry in PAGES.values())


SCANS = [(role, "nl") for role in ROLES] + [("member", "en"), ("member", "ar")]


@pytest.mark.parametrize(("role", "language"), SCANS, ids=[f"{role}-{language}" for role, language in SCANS])
def test_every_page_has_no_violations(live_url: str, world: World, role: str, language: str) -> None:
    screens = screens_for(role, world)  # before the browser starts: it reads the database
    assert screens, f"no pages for {role}"
    with chromium() as browser:
        problems, weights = scan_pages(browser, live_url, world, role, language, screens)
    report(f"weights-{role}-{language}", weights)
    assert not problems, "\n".join(problems)


def scan_pages(
    browser: Browser, live_url: str, world: World, role: str, language: str, screens: list[tuple[str, str]]
) -> tuple[list[str], dict[str, int]]:
    context = context_for(browser, live_url, world, role, language)
    page = context.new_page()
    watch = Watch(page, live_url)
    problems: list[str] = []
    weights: dict[str, int] = {}
    for name, path in screens:
        weight = Weight()
        page.on("response", weight)
        response = page.goto(live_url + path, wait_until="load")
        page.remove_listener("response", weight)
        where = f"{role}/{language} {path} ({name})"
        if response is None or response.status != 200:
            problems.append(f"{where}: status {response and response.status}, expected a page")
            continue
        # The API reference is English only (its descriptions are), and says so.
        with watch.console_ignored():
            problems.extend(check_page(page, where, language, ours=name != "api_docs"))
        weights[path] = weight.total
        if name.startswith("signal_") and weight.total > SIGNAL_PAGE_LIMIT:
            problems.append(f"{where}: {weight.total} bytes compressed, over {SIGNAL_PAGE_LIMIT}")
    problems.extend(f"{role}/{language}: {problem}" for problem in watch.problems)
    context.close()
    return problems, weights


def report(name: str, data: object) -> None:
    """Figures for the notes (page weights), when KNOOPPUNT_REPORT_DIR names a folder for them."""
    folder = os.environ.get("KNOOPPUNT_REPORT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.json").write_text(json.dumps(data, indent=2))


@dataclass(frozen=True)
class WrongInput:
    """A form sent with what it refuses, as someone would send it (the browser's own checks switched off,
    so the server's answer is what is scanned)."""

    role: str
    path: Callable[[World], str]
    form: str  # CSS selector of the form on the page
    fill: dict[str, str] = field(default_factory=dict)  # field name → value


def _signal(world: World) -> str:
    return f"/signals/{world.signal}/"


ERROR_STATES = [
    WrongInput("anonymous", lambda w: "/accounts/login/", "main form[method=post]",
               {"login": "jeroen@knooppunt.test", "password": "not-the-password"}),
    WrongInput("anonymous", lambda w: "/accounts/signup/", "main form[method=post]", {"email": "not an address"}),
    WrongInput("anonymous", lambda w: "/accounts/login/code/", "main form[method=post]", {"email": "not an address"}),
    WrongInput("anonymous", lambda w: "/accounts/password/reset/", "main form[method=post]", {"email": "nope"}),
    WrongInput("member", lambda w: "/signals/new/?form=full", "form.signal-form", {"title": "", "description": ""}),
    # The privacy guard's state: what it found, with a box to tick for each.
    WrongInput("member", lambda w: "/signals/new/?form=full", "form.signal-form",
               {"title": "Wachtlijst voor de taalschool", "description": "Bel mevrouw op 06-12345678."}),
    WrongInput("status_holder", lambda w: "/signals/new/", "form.signal-form", {"title": "", "description": ""}),
    WrongInput("member", lambda w: "/settings/", "form[action='/settings/']", {"display_name": ""}),
    WrongInput("member", _signal, "form.message-form", {"body": "Mail me: iemand@example.org"}),
    WrongInput("coordinator", lambda w: f"/communities/{w.community}/settings/",
               "main form[action$='/settings/']", {"min_recognitions": "-1", "name": ""}),
    WrongInput("coordinator", lambda w: f"/communities/{w.community}/members/",
               "form[action$='/members/invite/']", {"email": "geen adres"}),
    WrongInput("coordinator", _signal, "form.move", {}),
]  # fmt: skip

# An error state shows itself: a message in the form or above it, an alert, or a field marked invalid.
ERROR_SHOWN = ".errorlist, [role=alert], [aria-invalid=true], .privacy-findings, .messages .message.error"
ERRORS_LINKED = """() => [...document.querySelectorAll("[aria-invalid=true]")].filter((field) => {
  const ids = (field.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  return !ids.some((id) => { const el = document.getElementById(id); return el && el.textContent.trim(); });
}).map((field) => field.name || field.id)"""


@pytest.mark.parametrize("wrong", ERROR_STATES, ids=[f"{w.role}-{w.form}" for w in ERROR_STATES])
def test_forms_in_their_error_state_have_no_violations(live_url: str, world: World, wrong: WrongInput) -> None:
    with chromium() as browser:
        context = context_for(browser, live_url, world, wrong.role, "nl")
        page = context.new_page()
        watch = Watch(page, live_url)
        page.goto(live_url + wrong.path(world))
        form = page.locator(wrong.form).first
        form.evaluate("form => { form.noValidate = true; }")
        for name, value in wrong.fill.items():
            control = form.locator(f"[name='{name}']")
            if control.evaluate("el => el.tagName") == "SELECT":
                control.select_option(value)
            else:
                control.fill(value)
        with page.expect_navigation():
            form.locator("[type=submit]").first.click()
        where = f"{wrong.role} {wrong.path(world)} {wrong.form} sent wrong"
        shown = page.locator(ERROR_SHOWN).count()
        unlinked = page.evaluate(ERRORS_LINKED)
        problems = check_page(page, where, "nl") + watch.problems
        context.close()
    assert shown, f"{where}: no error shown"
    assert not unlinked, f"{where}: invalid fields without a linked error message: {unlinked}"
    assert not problems, "\n".join(problems)


def test_flow_steps_have_no_violations(live_url: str, world: World, inbox: Mailbox) -> None:
    """The pages only reached inside a flow: the code forms of signing in, signing up and confirming it is
    you, and the second factor; each also with a wrong code."""
    problems: list[str] = []
    with chromium() as browser:
        page = context_for(browser, live_url, world, "anonymous", "nl").new_page()
        watch = Watch(page, live_url)

        def step(name: str, submit: str = "main form[method=post] [type=submit]", *, error: bool = False) -> None:
            with page.expect_navigation():
                page.locator(submit).first.click()
            assert page.url.endswith(reverse(name)), f"{name}: at {page.url}"
            if error:
                expect(page.locator(ERROR_SHOWN).first).to_be_visible()
            problems.extend(check_page(page, name + (" with a wrong code" if error else ""), "nl"))

        # Signing in by code: the code form, then the code form with a wrong code.
        page.goto(f"{live_url}/accounts/login/code/")
        page.locator("main input[name=email]").fill("eva@knooppunt.test")
        step("account_confirm_login_code")
        page.locator("main input[name=code]").fill("WRONG-CODE")
        step("account_confirm_login_code", error=True)

        # Signing up: the page that asks for the code sent to the new address.
        page.goto(f"{live_url}/accounts/signup/")
        page.locator("main input[name=email]").fill("nieuwkomer@knooppunt.test")
        page.locator("main input[name=display_name]").fill("Nieuwkomer")
        step("account_email_verification_sent")

        # The second factor of a coordinator who signs in with a password, then a wrong code.
        page.context.clear_cookies()
        page.goto(f"{live_url}/accounts/login/")
        page.locator("main input[name=login]").fill("marieke@knooppunt.test")
        page.locator("main input[name=password]").fill(FLOW_PASSWORD)
        step("mfa_authenticate", "main form[action='/accounts/login/'] [type=submit]")
        page.locator("main input[name=code]").fill("000000")
        step("mfa_authenticate", error=True)
        problems.extend(watch.problems)
        page.context.close()

        # Deleting one's account: the form for the emailed code, then that form with a wrong code.
        page = context_for(browser, live_url, world, "applicant", "nl").new_page()
        page.goto(f"{live_url}/settings/privacy/")
        step("privacy_settings", "form[action$='/settings/privacy/delete/'] [type=submit]")
        page.locator("main input[name=code]").fill("000000")
        with page.expect_navigation():
            page.locator("form[action$='/confirm/'] [type=submit]").click()
        expect(page.locator(ERROR_SHOWN).first).to_be_visible()
        problems.extend(check_page(page, "privacy_delete_confirm with a wrong code", "nl"))
        page.context.close()

        # Confirming it is you by a code, before a sensitive change.
        page = context_for(browser, live_url, world, "member", "nl").new_page()
        page.goto(f"{live_url}/accounts/reauthenticate/code/")
        step("account_confirm_reauthentication_code")
        page.context.close()
    assert inbox.to("eva@knooppunt.test") and inbox.to("nieuwkomer@knooppunt.test")
    assert not problems, "\n".join(problems)
