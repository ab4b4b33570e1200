"""What the browser tests check on every page (axe-core's rules, reflow at 320 px, language, weight), and the
browser context of a role in a language."""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Response

from tests.inclusion.world import World

AXE = Axe()
# Every rule of WCAG 2.0/2.1 A and AA, and axe's best practices on top. None is switched off.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
REFLOW_WIDTH = 320  # WCAG 2.1, 1.4.10 Reflow: https://www.w3.org/WAI/WCAG21/Understanding/reflow.html
WEIGHED = {"document", "stylesheet", "script"}
DIRECTION = {"nl": "ltr", "en": "ltr", "ar": "rtl"}
LOCALE = {"nl": "nl-NL", "en": "en-GB", "ar": "ar"}


def violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it stands, one readable line each."""
    results = AXE.run(page, options=AXE_OPTIONS).response
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at {[node['target'] for node in rule['nodes']][:5]}"
        for rule in results["violations"]
    ]


# The innermost elements that stick out past the right edge (the left edge in Arabic), to name in a failure.
STICKING_OUT = """(width) => {
  const rtl = document.documentElement.dir === "rtl";
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll("*")].filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && (rtl ? box.left < -1 : box.right > width + 1) && !clipped(el);
  });
  return out.filter((el) => !out.some((other) => other !== el && el.contains(other))).slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
         (el.className && typeof el.className === "string" ? "." + el.className.trim().replace(/\\s+/g, ".") : ""));
}"""


def horizontal_overflow(page: Page) -> str:
    """What makes the page wider than a 320 px screen; empty when it reflows."""
    size = page.viewport_size or {"width": 1280, "height": 800}
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    try:
        wider = int(page.evaluate("document.documentElement.scrollWidth")) - REFLOW_WIDTH
        if wider <= 0:
            return ""
        return f"{wider} px wider than a {REFLOW_WIDTH} px screen: {page.evaluate(STICKING_OUT, REFLOW_WIDTH)}"
    finally:
        page.set_viewport_size(size)


@dataclass
class Weight:
    """HTML, CSS and JavaScript a page loads, each as the proxy sends it: gzip-compressed."""

    bytes_by_url: dict[str, int] = field(default_factory=dict)

    def __call__(self, response: Response) -> None:
        if response.request.resource_type in WEIGHED and response.ok:
            try:
                body = response.body()
            except Exception:
                return
            self.bytes_by_url[response.url] = len(gzip.compress(body, compresslevel=6))

    @property
    def total(self) -> int:
        return sum(self.bytes_by_url.values())


def context_for(browser: Browser, base: str, world: World, role: str, language: str) -> BrowserContext:
    context = browser.new_context(locale=LOCALE[language])
    cookies = [{"name": "django_language", "value": language, "url": base}]
    if role != "anonymous":
        cookies.append({"name": "sessionid", "value": world.sessions[role], "url": base})
    context.add_cookies(cookies)  # type: ignore[arg-type]
    return context


def check_page(page: Page, where: str, language: str, *, ours: bool = True) -> list[str]:
    """axe-core's violations, reflow at 320 px, and (on our own pages) the language and its direction."""
    problems = [f"{where}: {line}" for line in violations(page)]
    html = page.locator("html")
    if ours and (html.get_attribute("lang") != language or html.get_attribute("dir") != DIRECTION[language]):
        problems.append(f"{where}: lang={html.get_attribute('lang')} dir={html.get_attribute('dir')}")
    overflow = horizontal_overflow(page)
    if overflow:
        problems.append(f"{where}: {overflow}")
    return problems
