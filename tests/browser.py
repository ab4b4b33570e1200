"""Debian's Chromium, driven by Playwright (its own browser download does not work here)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        raise RuntimeError("Chromium is missing: `make test` installs it (scripts/system-packages.sh).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in(context: BrowserContext, base: str, session: str) -> Page:
    context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    return context.new_page()


class Watch:
    """What a page did that it should not: script errors, console errors, requests to other hosts."""

    def __init__(self, page: Page, base: str) -> None:
        self.problems: list[str] = []
        self.console_muted = False
        host = urlsplit(base).netloc
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" and not self.console_muted
                else None
            ),
        )
        page.on(
            "request",
            lambda request: (
                self.problems.append(f"third party: {request.url}")
                if urlsplit(request.url).netloc not in (host, "")
                else None
            ),
        )

    @contextmanager
    def console_ignored(self) -> Iterator[None]:
        """While a test tool runs in the page: axe-core, for one, copies the rules of a stylesheet that
        imports another into a <style> element, which our Content Security Policy refuses (and says so in
        the console). Script errors and requests to other hosts still count."""
        self.console_muted = True
        try:
            yield
        finally:
            self.console_muted = False
