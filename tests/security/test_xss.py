"""The XSS corpus (tests/security/xss_corpus.py) written into every text field people fill in, through the domain
functions, then read back everywhere it is shown: pages, live fragments, emails, the digest's PDF and the CSV
exports. Server side the HTML is parsed and must hold no markup of a payload and every payload's text whole; one
browser test then opens the pages in Chromium, receives a message live and clicks the links in message bodies, and
nothing may run, load or break the Content Security Policy.

Fields covered (and where the corpus goes in): signal title (packed to 140) and description, message body (4000),
recognition's "what was tried" (2000), flag reasons on messages and signals (1000), moderation reasons (hiding a
message, a signal), escalation reason, answer and its "on behalf of" (200), lesson, digest hold-back reason,
check-back note (2000), display names (packed to 150), pseudonyms (60), community name (150) and description, digest
target name (150), application message (1000) and the coordinator's reason for declining it. Invitations have no free
text (an address and a role), and digests have no introduction: nothing to fill there.
"""

from __future__ import annotations

import copy
import csv
import datetime
import importlib
import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pypdf
import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from playwright.sync_api import Page, expect

from community.joining import application_decide, application_submit
from community.models import Community, Municipality, Region, Role, User, UserKind
from community.services import community_settings_update, digest_target_add
from notifications import mailing
from notifications.models import Frequency, Kind, Notification
from notifications.realtime import notification_payload
from signals import checkbacks, digests, opendata
from signals.discussion import message_flag, message_post, message_set_hidden, message_set_key_point
from signals.limits import posting_limits_suspended
from signals.models import CheckBackAnswer, Digest, DigestStatus, Message, Signal, Status, Theme
from signals.moderation import signal_flag
from signals.realtime import message_payload, recognitions_payload, status_payload
from signals.reports import FORMULA_STARTS
from signals.services import recognition_add, signal_create, signal_hide
from signals.workflow import signal_transition
from tests.browser import Watch, chromium, signed_in
from tests.factories import CommunityFactory, MembershipFactory, UserFactory, session_key
from tests.security.xss_corpus import (
    CORPUS,
    FIRED,
    FORMULA_PAYLOADS,
    LINK_SCHEMES,
    Payload,
    fitting,
    missing_from,
    packed,
    whole,
)
from tests.servers import app_server

ALL = CORPUS
TITLES = (*packed(140, " "), *(p.text for p in FORMULA_PAYLOADS))  # every payload in some title; formulas first too
NAMES = tuple(packed(150, " "))  # display names: the whole corpus over the people
PSEUDONYMS = tuple(
    p.text
    for p in fitting(60)
    if p.name in {"script", "img-onerror", "attr-double", "attr-single", "attr-handler", "end-title", "svg-onload"}
)
FLAG_REASONS = tuple(packed(1000))
NOTES = tuple(packed(2000))
BEHALF = next(packed(200, " ", fitting(200)))
SLUG = "-xss-cop"  # a slug may start with "-": open data's CSV writes it into a cell
WORD = "Wachtlijst"  # in every description but those that start like a formula: the search finds them
FORMULA_TITLES = tuple(title for title in TITLES if title.lstrip().startswith(FORMULA_STARTS))


def _payloads_in(*texts: str) -> tuple[Payload, ...]:
    """The payloads whose whole text went into ``texts`` (a packed field holds several)."""
    return tuple(p for p in CORPUS if any(p.text.strip() in text for text in texts))


# --- The corpus in every field, through the domain functions ------------------------------------------------------


@dataclass
class Written:
    community: Community
    coordinator: User
    moderator: User
    reporter: User  # reported the main signal: follows it, gets its notifications
    poster: User  # writes in the browser test
    declined: User  # applied, was declined with the corpus as the reason
    main: Signal  # the corpus as description, discussion, reasons, answer; sent in a digest
    held: Signal  # held back from the digest with the corpus as the reason
    lesson: Signal  # solved locally with the corpus as the lesson
    hidden: Signal  # hidden with the corpus as the reason
    whole_message: Message
    digest: Digest
    check_back_token: str
    mails: list[EmailMessage]  # what writing it all sent: the digest, the application mails, the answer
    sessions: dict[str, str]  # signed-in sessions (cookie values) for the browser


def _person(community: Community, place: Municipality, name: str, *, role: Role = Role.MEMBER, **fields: Any) -> User:
    user = UserFactory(
        display_name=name, mfa=role == Role.COORDINATOR, date_joined=timezone.now() - datetime.timedelta(days=365),
        **fields,
    )  # fmt: skip
    user.municipalities.set([place])
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    MembershipFactory(user=user, community=community, role=role)
    return user


def write_everywhere() -> Written:
    """Every text field filled with the corpus by the people who may write it, through the domain functions, each
    change committed (so its after-commit work, sockets, mails and the digest's sending, runs as in production)."""
    mail.outbox = []
    # Two transactions, so that two commits, not hundreds, wait for the disk; the digest is sent after the
    # first one's commit (in this process), which makes the main signal "reported" and ready for its answer.
    with transaction.atomic():
        region = Region.objects.get(slug="hart-van-brabant")
        tilburg = Municipality.objects.get(cbs_code="GM0855")
        housing = Theme.objects.get(slug="housing")
        community = CommunityFactory(region=region, slug=SLUG, name="CoP", open_for_applications=True, open_data=True)
        coordinator = _person(community, tilburg, NAMES[0], role=Role.COORDINATOR)
        moderator = _person(community, tilburg, NAMES[1], role=Role.MODERATOR)
        writers = [_person(community, tilburg, name) for name in NAMES[2:]]
        masked = [
            _person(
                community, tilburg, "Verborgen", kind=UserKind.STATUS_HOLDER, pseudonymous=True, pseudonym_label=label
            )
            for label in PSEUDONYMS
        ]
        reporter = writers[0]

        community_settings_update(actor=coordinator, community=community, name=NAMES[0], description=whole())
        digest_target_add(actor=coordinator, community=community, name=NAMES[-1], kind="ministry",
                          emails="szw@example.org")  # fmt: skip
        signals = []
        for number, title in enumerate(TITLES):
            description = f"{WORD}.\n\n{whole()}" if not number else f"{WORD}.\n\n{title}"
            if title in FORMULA_TITLES:
                description = title  # a CSV cell that starts like a formula: the description's cell too
            signals.append(signal_create(actor=writers[number % len(writers)], community=community, title=title,
                                         description=description, theme=housing, municipality=tilburg))  # fmt: skip
        main, held, lesson = signals[0], signals[1], signals[2]
        hidden = signal_create(actor=writers[1], community=community, title=TITLES[3], description=whole(),
                               theme=housing, municipality=tilburg)  # fmt: skip

        whole_message, _ = message_post(actor=writers[1], signal=main, body=whole())
        message_set_key_point(actor=coordinator, message=whole_message, key_point=True)
        for person in [*writers[2:], *masked]:  # every name and pseudonym beside a message of theirs
            message_post(actor=person, signal=main, body="Herkenbaar, bij ons ook.")
        flagged, _ = message_post(actor=writers[2], signal=main, body="Zie hierboven.")
        for person, reason in zip(writers[3:], FLAG_REASONS, strict=False):
            message_flag(actor=person, message=flagged, reason=reason)
        signal_flag(actor=writers[3], signal=main, reason=FLAG_REASONS[0])
        gone, _ = message_post(actor=writers[3], signal=main, body="Weg ermee.")
        message_set_hidden(actor=moderator, message=gone, hidden=True, reason=whole())
        for person, note in zip(writers[4:], NOTES, strict=False):
            recognition_add(actor=person, signal=main, tried_locally=True, tried_locally_note=note)

        recognition_add(actor=writers[5], signal=lesson)  # asked by check-back later, by mail
        for signal in [main, held, *(s for s in signals if s.title.startswith(FORMULA_STARTS))]:
            signal_transition(actor=coordinator, signal=signal, to=Status.ESCALATED, reason=whole())
        digest = digests.digest_compile(community, timezone.now() - datetime.timedelta(days=1))
        assert digest is not None
        digests.item_hold_back(actor=coordinator, item=digest.items.get(signal=held), reason=whole())
        digests.digest_approve(actor=coordinator, digest=digest)  # sent after commit: main becomes "reported"
    with transaction.atomic():
        main = signal_transition(actor=coordinator, signal=Signal.objects.get(pk=main.pk), to=Status.ANSWERED,
                                 reason=whole(), on_behalf_of=BEHALF)  # fmt: skip

        signal_transition(actor=moderator, signal=lesson, to=Status.RESOLVED_LOCALLY, lesson=whole())
        for resolution in checkbacks.resolutions_due(timezone.now() + datetime.timedelta(weeks=5)):
            checkbacks.checkback_ask(resolution)
        answer = CheckBackAnswer.objects.get(check_back__signal=lesson, user=lesson.author)
        checkbacks.checkback_answer(answer=answer, still_a_problem=True, note=NOTES[0])
        signal_hide(actor=moderator, signal=hidden, reason=whole())

        applicant, declined = (UserFactory(display_name=name) for name in NAMES[:2])
        application_submit(user=applicant, community=community, message=FLAG_REASONS[0])
        application = application_submit(user=declined, community=community, message=FLAG_REASONS[1])
        application_decide(actor=coordinator, application=application, approve=False, reason=whole())

    digest.refresh_from_db()
    assert digest.status == DigestStatus.SENT
    people = {"coordinator": coordinator, "moderator": moderator, "reporter": reporter, "poster": writers[1]}
    return Written(
        community=community, coordinator=coordinator, moderator=moderator, reporter=reporter, poster=writers[1],
        declined=declined, main=main, held=held, lesson=lesson, hidden=hidden, whole_message=whole_message,
        digest=digest, check_back_token=checkbacks.token_for(answer, True), mails=list(mail.outbox),
        sessions={role: session_key(person) for role, person in people.items()},
    )  # fmt: skip


@pytest.fixture(scope="module")
def written(django_db_setup: None, django_db_blocker: Any) -> Iterator[Written]:
    """Written once for the module and committed: the browser test's server reads it too. Emptied afterwards
    (as a transactional test empties its tables) with the reference data loaded again for the tests after."""
    from community.celery import app

    # Nobody listens while it is written: its socket events stay in this process (each one through Redis costs a
    # connection here); the browser test hears the real ones, from its server. A cache namespace of its own and
    # the fast password hasher, as tests/conftest.py gives each test (its fixtures are per test, this is not).
    layers = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the tasks run here, as in tests/conftest.py
    try:
        fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py sets for each test
        with (
            django_db_blocker.unblock(),
            override_settings(CHANNEL_LAYERS=layers, CACHES=caches, PASSWORD_HASHERS=fast),
        ):
            _load_reference_data()
            with posting_limits_suspended():
                world = write_everywhere()
            yield world
            call_command("flush", interactive=False, verbosity=0)
            _load_reference_data()
    finally:
        app.conf.task_always_eager = eager


def _load_reference_data() -> None:
    from django.apps import apps

    for module in ("community.migrations.0002_hart_van_brabant", "signals.migrations.0002_themes"):
        importlib.import_module(module).load(apps, None)


# --- Reading HTML as a browser would ------------------------------------------------------------------------------

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster", "ping"})
FORBIDDEN_ELEMENTS = frozenset({"iframe", "object", "embed", "base", "style", "frame", "frameset", "applet"})


class Markup(HTMLParser):
    """What a page holds that could run or load: found by parsing, as the browser would, not by grepping."""

    def __init__(self, nonce: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.text: list[str] = []
        self._skip = 0  # inside <script> or <style>: not text a person reads

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            self._skip += 1
            ours = values.get("src", "").startswith("/static/") or (self.nonce and values.get("nonce") == self.nonce)
            if not ours:
                self.problems.append(f"<script {values}>")
        if tag == "meta" and "http-equiv" in values:
            self.problems.append(f"<meta http-equiv={values['http-equiv']!r}>")
        if tag == "link" and not values.get("href", "").startswith("/static/"):
            self.problems.append(f"<link {values}>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and LINK_SCHEMES.match(re.sub(r"[\x00-\x20]", "", value)):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>")
            if name == "style" and ("expression" in value or "url(" in value):
                self.problems.append(f"<{tag} style={value[:40]!r}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self._skip -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def read_html(html: str, nonce: str = "") -> Markup:
    parsed = Markup(nonce)
    parsed.feed(html)
    parsed.close()
    return parsed


def unsafe(html: str, expected: tuple[Payload, ...], nonce: str = "") -> list[str]:
    """Each problem with ``html``: markup that came from a payload, or a payload whose text is not there whole."""
    parsed = read_html(html, nonce)
    return parsed.problems + [f"not shown whole: {name}" for name in missing_from("".join(parsed.text), expected)]


def _nonce(response: Any) -> str:
    found = re.search(r"'nonce-([^']+)'", response.get("Content-Security-Policy", ""))
    return found.group(1) if found else ""


# --- Pages --------------------------------------------------------------------------------------------------------


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(w: Written) -> list[tuple[str, User | None, list[str], tuple[Payload, ...]]]:
    """(what, who reads it, its URLs read as one, the payloads it shows whole)."""
    titles = _payloads_in(*TITLES)
    detail = reverse("signal_detail", args=[w.main.pk])
    return [
        ("signal detail", w.reporter, [detail], ALL),
        ("signal list", w.reporter, [reverse("signal_list"), reverse("signal_list") + "?page=2"], titles),
        ("search results", w.reporter, [f"/signals/?q={WORD.lower()}", f"/signals/?q={WORD.lower()}&page=2"],
         _payloads_in(*(title for title in TITLES if title not in FORMULA_TITLES))),
        ("home", w.reporter, [reverse("home")], ALL),  # the community's description
        ("home of the declined applicant", w.declined, [reverse("home")], ALL),
        ("held-back signal", w.reporter, [reverse("signal_detail", args=[w.held.pk])], ALL),
        ("lesson's signal", w.reporter, [reverse("signal_detail", args=[w.lesson.pk])], ALL),
        ("lessons", w.reporter, [reverse("lessons")], ALL),
        ("notifications", w.reporter, [reverse("notifications:list")], _payloads_in(w.main.title)),
        ("hidden signal", w.moderator, [reverse("signal_detail", args=[w.hidden.pk])], ALL),
        ("moderation queue", w.moderator, [reverse("moderation")], _payloads_in(*FLAG_REASONS)),
        ("dashboard", w.coordinator, [reverse("dashboard")], _payloads_in(NAMES[0])),
        ("digest list", w.coordinator, [reverse("digest_list")], _payloads_in(NAMES[0])),
        ("digest", w.coordinator, [reverse("digest_detail", args=[w.digest.pk])], ALL),
        ("next digest", w.coordinator, [reverse("digest_preview", args=[SLUG])], ALL),
        ("members", w.coordinator, [reverse("community_members", args=[SLUG])],
         _payloads_in(*NAMES, FLAG_REASONS[0])),
        ("community settings", w.coordinator, [reverse("community_settings", args=[SLUG])],
         _payloads_in(NAMES[0], NAMES[-1])),
        ("audit log", w.coordinator, [reverse("community_audit", args=[SLUG])], ALL),
        ("check-back answered", None, [reverse("check_back_answer", args=[w.check_back_token])],
         _payloads_in(NOTES[0])),
    ]  # fmt: skip


@pytest.mark.django_db
def test_every_page_that_shows_written_text_shows_it_as_text(written: Written) -> None:
    problems: dict[str, list[str]] = {}
    for what, reader, urls, expected in pages(written):
        client = _client(reader) if reader else Client()
        html = []
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (what, url, response.status_code)
            assert response["Content-Type"].startswith("text/html"), what
            html.append((response.content.decode(), _nonce(response)))
        found = [p for page, nonce in html for p in read_html(page, nonce).problems]
        text = "".join("".join(read_html(page).text) for page, _ in html)
        found += [f"not shown whole: {name}" for name in missing_from(text, expected)]
        if found:
            problems[what] = found
    assert problems == {}


def test_the_checker_finds_a_payload_that_is_not_escaped() -> None:
    """The checks above would see a payload that got through: each of these is one."""
    for name in ("script", "img-onerror", "svg-onload", "iframe-srcdoc", "object-data", "meta-refresh",
                 "base-href", "style-element", "anchor-href", "form-action", "link-load", "attr-handler"):  # fmt: skip
        payload = next(p for p in CORPUS if p.name == name)
        html = f'<p title="{payload.text}">{payload.text}</p>' if name == "attr-handler" else f"<p>{payload.text}</p>"
        assert read_html(html).problems, name
    assert unsafe("<p>&lt;script&gt;</p>", (Payload("x", "<script>"),)) == []
    assert unsafe("<p>script</p>", (Payload("x", "<script>"),)) == ["not shown whole: x"]


# --- Live fragments -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_fragments_sent_live_show_written_text_as_text(written: Written) -> None:
    """What the sockets carry (signals.realtime, notifications.realtime) is rendered by these same functions."""
    main = Signal.objects.select_related("community__region").get(pk=written.main.pk)
    message = Message.objects.select_related("author", "signal__community__region").get(pk=written.whole_message.pk)
    payload = message_payload(message)
    notification = Notification.objects.filter(recipient=written.reporter, kind=Kind.MESSAGE).latest("pk")
    fragments = {
        "message.html": (payload["html"], ALL),
        "message.body_html": (payload["body_html"], ALL),
        "status.timeline": (status_payload(main)["timeline"], ALL),
        "status.html": (status_payload(main)["html"], ()),
        "recognitions.html": (recognitions_payload(main)["html"], ()),
        "notification.html": (notification_payload(notification)["html"], _payloads_in(main.title)),
    }
    problems = {name: unsafe(html, expected) for name, (html, expected) in fragments.items()}
    assert {name: found for name, found in problems.items() if found} == {}
    assert payload["author"]["label"] == NAMES[3]  # JSON text, set with textContent by the page


# --- Emails -------------------------------------------------------------------------------------------------------


def escaped_in(text: str) -> list[str]:
    """The payloads a plain text shows HTML-escaped (``&lt;script&gt;``) where it should show them as written."""
    return [p.name for p in CORPUS if escape(p.text) != p.text and escape(p.text) in text and p.text not in text]


def _parts(message: EmailMessage) -> tuple[str, str]:
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(content) for content, kind in message.alternatives if kind == "text/html"), "")
    return str(message.body), html


@pytest.mark.django_db
def test_every_email_shows_written_text_as_text_in_both_parts(written: Written, mailbox: list[EmailMessage]) -> None:
    later = timezone.now() + datetime.timedelta(days=2)
    mailing.mail_due(now=later)
    mailing.summaries_send(Frequency.DAILY, now=later)
    checkbacks.checkbacks_mail()
    mails = [*written.mails, *mail.outbox]
    kinds = {
        "digest": [m for m in mails if m.to == ["szw@example.org"]],
        "answer (immediately)": [m for m in mails if m.to == [written.reporter.email] and "\n" not in m.subject],
        "summary": [m for m in mails if reverse("notifications:list") in str(m.body)],
        "application received": [m for m in mails if m.to == [written.coordinator.email]],
        "application declined": [m for m in mails if m.to == [written.declined.email]],
        "check-back": [m for m in mails if "/check-backs/" in str(m.body)],
    }
    assert all(kinds.values()), {kind: len(found) for kind, found in kinds.items()}
    problems: dict[str, list[str]] = {}
    for number, message in enumerate(mails):
        text, html = _parts(message)
        found = [f"subject escaped: {name}" for name in escaped_in(str(message.subject))]
        found += [f"text escaped: {name}" for name in escaped_in(text)]
        if html:
            parsed = read_html(html)
            found += parsed.problems + ["<script> in a mail"] * ("<script" in html.lower().replace("&lt;script", ""))
            found += [f"html not whole: {n}" for n in missing_from("".join(parsed.text), _payloads_in(text))]
        if found:
            problems[f"{number}: {message.subject}"] = found
    assert problems == {}
    digest_text, digest_html = _parts(kinds["digest"][0])
    assert missing_from(digest_text, ALL) == [] and missing_from("".join(read_html(digest_html).text), ALL) == []
    assert missing_from(kinds["application declined"][0].body, ALL) == []


# --- Files: the digest's PDF and the CSV exports ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_pdf_has_the_text_and_no_script_or_javascript_link(written: Written) -> None:
    pdf = bytes(written.digest.pdf)
    assert pdf.startswith(b"%PDF")
    for forbidden in (rb"/URI\s*\(\s*javascript", rb"/URI\s*\(\s*data:", rb"/JavaScript", rb"/JS\s", rb"/Launch"):
        assert not re.search(forbidden, pdf, re.IGNORECASE), forbidden
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    uris = [
        str(annotation.get_object().get("/A", {}).get("/URI", ""))
        for page in reader.pages
        for annotation in page.get("/Annots", []) or []
    ]
    assert not [uri for uri in uris if LINK_SCHEMES.match(uri)]
    # The PDF is WeasyPrint's rendering of the digest's final HTML: that HTML holds no markup of a payload.
    assert unsafe(written.digest.html, ALL) == []
    # The text was printed as text. Extraction is lossy: it spaces letters out (with NULs for one font), turns the
    # "fi" ligature into other characters and drops direction marks; so whitespace and NULs are left out of the
    # comparison, and so are the payloads with a ligature, direction marks or full-width brackets (no font has them).
    text = re.sub(r"[\s\x00]", "", " ".join(page.extract_text() for page in reader.pages))
    printed = [p for p in CORPUS if p.name not in ("bidi", "fullwidth") and not re.search("f[fil]", p.text)]
    assert len(printed) > len(CORPUS) // 2
    assert [p.name for p in printed if re.sub(r"\s", "", p.text) not in text] == []


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _formulas(cells: list[str]) -> list[str]:
    return [cell for cell in cells if cell.startswith(FORMULA_STARTS)]


@pytest.mark.django_db
def test_every_csv_cell_that_would_start_a_formula_is_neutralised(written: Written) -> None:
    exports = {
        "digest": written.digest.csv,
        "dashboard": _client(written.coordinator).get(reverse("dashboard_csv")).content.decode(),
        "open data": opendata.as_csv(opendata.published()),
    }
    for name, text in exports.items():
        assert text.count("\n") > 1, name
        assert _formulas(_cells(text)) == [], name
    for name in ("digest", "dashboard"):
        cells = _cells(exports[name])
        for payload in FORMULA_PAYLOADS:
            assert "'" + payload.text.strip() in cells, (name, payload.name)
    assert "'" + SLUG in _cells(exports["open data"])


# --- In the browser -----------------------------------------------------------------------------------------------

WATCH_POLICY = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.effectiveDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def live_url(written: Written, worker_redis_env: dict[str, str]) -> Iterator[str]:
    """One uvicorn serving pages and sockets on this worker's own Redis database, reading the written world."""
    with app_server("uvicorn", worker_redis_env) as base:
        yield base


@dataclass
class Seen:
    """What a browser page did that a payload would make it do."""

    fired: list[str] = field(default_factory=list)  # requests for FIRED
    policy: list[str] = field(default_factory=list)  # console messages about the Content Security Policy

    def watch(self, page: Page) -> None:
        page.on("request", lambda request: self.fired.append(request.url) if FIRED in request.url else None)
        page.on(
            "console",
            lambda message: self.policy.append(message.text) if "Content Security Policy" in message.text else None,
        )


def _state(page: Page) -> dict[str, Any]:
    return dict(
        page.evaluate("() => ({xss: window.__xss === undefined ? null : String(window.__xss), csp: window.__csp})")
    )


@pytest.mark.django_db  # (reads nothing itself; the server reads the written world)
def test_in_chromium_nothing_written_runs_loads_or_breaks_the_policy(written: Written, live_url: str) -> None:
    """Every page above opened in Chromium, a message with the whole corpus received live, and every link in the
    message bodies clicked: no payload runs (``window.__xss``), loads (``/xss-fired``) or is refused by the
    Content Security Policy (which would mean it got in as markup), and each shows as text, whole."""
    roles = {written.reporter.pk: "reporter", written.moderator.pk: "moderator", written.coordinator.pk: "coordinator"}
    visits = [(roles.get(reader.pk) if reader else "anonymous", what, urls, expected)
              for what, reader, urls, expected in pages(written) if reader is None or reader.pk in roles]  # fmt: skip
    detail = f"{live_url}{reverse('signal_detail', args=[written.main.pk])}"
    problems: dict[str, object] = {}
    seen = Seen()
    with chromium() as browser:
        contexts, tabs, watches = {}, {}, []
        for role in ("reporter", "moderator", "coordinator", "anonymous", "poster"):
            contexts[role] = browser.new_context(locale="nl-NL")
            contexts[role].add_init_script(WATCH_POLICY)
            session = written.sessions.get(role)
            tabs[role] = signed_in(contexts[role], live_url, session) if session else contexts[role].new_page()
            seen.watch(tabs[role])
            watches.append(Watch(tabs[role], live_url))
        for role, what, urls, expected in visits:
            page, text = tabs[role], ""
            for url in urls:
                page.goto(live_url + url)
                state = _state(page)
                if state["xss"] or state["csp"]:
                    problems[f"{what} {url}"] = state
                text += page.locator("body").inner_text()
            if missing := missing_from(text, expected):
                problems[f"{what}: not shown whole"] = missing

        # The reporter has the signal open; someone else writes the whole corpus; it arrives live.
        reader, writer = tabs["reporter"], tabs["poster"]
        for page in (reader, writer):
            page.goto(detail)
            expect(page.locator("[data-connection]")).to_have_text("Verbonden")
        writer.get_by_label("Je bericht").fill(whole())
        writer.get_by_role("button", name="Versturen").click()
        arrived = reader.locator("#messages .message").last
        expect(arrived).to_contain_text("{{constructor.constructor", timeout=15_000)
        if missing := missing_from(arrived.inner_text(), ALL):
            problems["live message: not shown whole"] = missing
        for role, page in (("reader", reader), ("writer", writer)):
            if (state := _state(page))["xss"] or state["csp"]:
                problems[f"live message ({role})"] = state
        page_problems = [problem for watch in watches for problem in watch.problems]

        # Every link in the message bodies, clicked: other hosts answer "204 No Content", so the page stays.
        contexts["reporter"].route(lambda url: not url.startswith(live_url), lambda route: route.fulfill(status=204))
        links = reader.locator("#messages .body a")
        hrefs = [links.nth(i).get_attribute("href") or "" for i in range(links.count())]
        for number in range(len(hrefs)):
            links.nth(number).click()
            reader.wait_for_timeout(100)
        after_clicks = _state(reader)

        # The control: markup put into a page by script is seen by these same watchers (so their silence above
        # means something): the policy refuses the inline handler and says so; the image loads.
        control, control_seen = contexts["anonymous"].new_page(), Seen()
        control_seen.watch(control)
        control.goto(f"{live_url}/")
        control.evaluate(f"""() => document.body.insertAdjacentHTML("beforeend",
            '<img src="x" onerror="window.__xss=1"><img src="{FIRED}?control" alt="">')""")
        control.wait_for_function("() => window.__csp.length > 0")
        control.wait_for_timeout(200)
        control_state = _state(control)
        for context in contexts.values():
            context.close()
    assert control_state["xss"] is None and control_state["csp"], control_state
    assert [url for url in control_seen.fired if url.endswith("?control")] and control_seen.policy
    assert problems == {}
    assert page_problems == []
    assert seen.fired == [] and seen.policy == []
    assert hrefs and [href for href in hrefs if not href.startswith(("http://", "https://"))] == []
    assert after_clicks == {"xss": None, "csp": []}
