"""Text a member could write to run script in someone else's browser, mail client or spreadsheet.

Every payload that would run, were it rendered as markup, says so where a test can see it: it sets
``window.__xss`` (script, event handlers, ``javascript:`` links once followed), or the browser asks for
``/xss-fired`` (an element that loads something: markup got through even where our CSP allows the load),
or the page breaks its own Content Security Policy (inline script or style), which the browser reports.
Escaped properly, each one is just text on the page: the tests also check it is there, whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

FIRED = "/xss-fired"  # any request for this path means markup from a payload was parsed as markup


@dataclass(frozen=True)
class Payload:
    name: str
    text: str


# fmt: off
CORPUS: tuple[Payload, ...] = (
    # Script and event handlers.
    Payload("script", "<script>window.__xss='script'</script>"),
    Payload("img-onerror", "<img src=x onerror=\"window.__xss='img'\">"),
    Payload("img-load", f'<img src="{FIRED}?img" alt="">'),
    Payload("svg-onload", "<svg onload=\"window.__xss='svg'\"></svg>"),
    Payload("svg-script", "<svg><script>window.__xss='svgscript'</script></svg>"),
    Payload("details-toggle", "<details open ontoggle=\"window.__xss='details'\">x</details>"),
    Payload("autofocus", "<input autofocus onfocus=\"window.__xss='focus'\">"),
    Payload("iframe-srcdoc", "<iframe srcdoc=\"<script>parent.__xss='srcdoc'</script>\"></iframe>"),
    Payload("object-data", "<object data=\"data:text/html,<script>parent.__xss='object'</script>\"></object>"),
    Payload("math-mglyph", "<math><mtext><table><mglyph><style><img src=x onerror=\"window.__xss='math'\">"),
    Payload("form-action", "<form action=\"javascript:window.__xss='form'\"><button>ok</button></form>"),
    Payload("meta-refresh", "<meta http-equiv=\"refresh\" content=\"0;url=javascript:window.__xss='meta'\">"),
    Payload("link-load", f'<link rel="stylesheet" href="{FIRED}?link">'),
    Payload("base-href", "<base href=\"https://attacker.example/\">"),
    # Breaking out of an attribute, an element or a script block.
    Payload("attr-double", "\"><script>window.__xss='attr2'</script>"),
    Payload("attr-single", "'><img src=x onerror=window.__xss='attr1'>"),
    Payload("attr-handler", "\" onmouseover=\"window.__xss='hover'\" data-x=\""),
    Payload("end-textarea", "</textarea><script>window.__xss='textarea'</script>"),
    Payload("end-script", "</script><script>window.__xss='endscript'</script>"),
    Payload("end-title", "</title><svg onload=\"window.__xss='title'\">"),
    Payload("end-style", f"</style><img src=\"{FIRED}?style\">"),
    # Styles.
    Payload("style-element", f'<style>body{{background:url("{FIRED}?css")}}</style>'),
    Payload("style-expression", "<div style=\"width:expression(window.__xss='expr')\">x</div>"),
    # Links: in message markup and anything that becomes a link.
    Payload("javascript-link", "javascript:window.__xss='js'"),
    Payload("javascript-mixed-case", "JaVaScRiPt:window.__xss='jsmixed'"),
    Payload("javascript-entity-tab", "java&#x09;script:window.__xss='jstab'"),
    Payload("data-link", "data:text/html;base64,PHNjcmlwdD5wYXJlbnQuX194c3M9MTwvc2NyaXB0Pg=="),
    Payload("markdown-link", "[klik hier](javascript:window.__xss='md')"),
    Payload("anchor-href", "<a href=\"javascript:window.__xss='href'\">klik</a>"),
    Payload("urlize-quote", "http://example.com/\"onmouseover=\"window.__xss='urlize'\""),
    Payload("urlize-tag", "https://example.org/<script>window.__xss='urlize2'</script>"),
    # Templates, entities, look-alikes, direction tricks.
    Payload("django-template", "{{ request.user.email }}{% debug %}"),
    Payload("other-templates", "${7*7} #{7*7} <%= 7*7 %> {{constructor.constructor('window.__xss=1')()}}"),
    Payload("entities", "&lt;script&gt;window.__xss='entity'&lt;/script&gt;"),
    Payload("numeric-entities", "&#60;img src=x onerror=window.__xss='numeric'&#62;"),
    Payload("fullwidth", "\uff1cscript\uff1ewindow.__xss='fullwidth'\uff1c/script\uff1e"),
    Payload("bidi", "factuur\u202etxt.exe\u202c en \u2066geïsoleerd\u2069 \u200bnul"),
    # Spreadsheet formulas (CSV injection): a cell starting with = + - @ tab or CR.
    Payload("csv-equals", "=HYPERLINK(\"http://example.com\",\"klik\")"),
    Payload("csv-plus", "+SUM(1,1)"),
    Payload("csv-minus", "-2+3+cmd|' /C calc'!A0"),
    Payload("csv-at", "@SUM(1+1)*cmd|' /C calc'!A0"),
    Payload("csv-tab", "\t=1+1"),
    Payload("csv-cr", "\r=1+1"),
)
# fmt: on

FORMULA_PAYLOADS = tuple(p for p in CORPUS if p.name.startswith("csv-"))
LINK_SCHEMES = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)


def shown(text: str) -> str:
    """The text as a page shows it: whitespace runs as one space, nothing at either end."""
    return " ".join(text.split())


def missing_from(page_text: str, payloads: tuple[Payload, ...] | list[Payload]) -> list[str]:
    """The payloads whose text a page (its ``innerText``) does not show whole."""
    seen = shown(page_text)
    return [p.name for p in payloads if shown(p.text) not in seen]


def fitting(max_length: int) -> tuple[Payload, ...]:
    return tuple(p for p in CORPUS if len(p.text.strip()) <= max_length)


def packed(max_length: int, separator: str = "\n\n", payloads: tuple[Payload, ...] = CORPUS) -> Iterator[str]:
    """The whole corpus (or ``payloads``) in as few texts of at most ``max_length`` as it takes, a payload per
    paragraph. A payload longer than ``max_length`` is cut: pass ``fitting(max_length)`` to keep each whole."""
    current = ""
    for payload in payloads:
        text = payload.text
        candidate = f"{current}{separator}{text}" if current else text
        if len(candidate) <= max_length:
            current = candidate
        else:
            if current:
                yield current
            current = text[:max_length]
    if current:
        yield current


def whole(separator: str = "\n\n") -> str:
    return separator.join(p.text for p in CORPUS)
