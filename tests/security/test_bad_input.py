# ruff: noqa: F811  (the signal fixtures are imported, as in tests/api/conftest.py)
"""Bad input never makes a 500: hostile text and wrong types against the domain functions, the forms, the
pages and the API (Hypothesis; 25 examples per test in the short profile, 500 with HYPOTHESIS_PROFILE=long).

Hostile text: huge strings (to ~300 KB), NUL bytes, lone surrogates, zero-width and bidi-override
characters, emoji, mixed scripts. The writing domain functions refuse anything else with a
ValidationError (or PermissionDenied) and store what they accept without NUL bytes (they drop them,
as the pages and check-back notes already did); the pure helpers (the privacy guard, the body
renderer) take text only, which the writes have checked, and get hostile text.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from community.forms import ProfileForm
from community.models import Community, Municipality, User
from community.services import profile_update
from signals.discussion import message_edit, message_post
from signals.formatting import render_body
from signals.forms import SignalForm
from signals.models import Message, Signal, Theme
from signals.privacy import PersonalDataFound, guard
from signals.services import signal_create
from tests.api.conftest import client_for
from tests.signals.conftest import MakeMember, community, housing, make_member, reporter, signal  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("posting_limits_lifted", "reference_data")]

NASTY = [
    "\x00", "\ud800", "\udfff", "\u200b", "\u200d", "\ufeff", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "😀", "👩‍👩‍👧", "🇳🇱", "ا", "ب", "ж", "中", "\u0301", "\n", "\r", "\t", " ", "<", ">", "&", '"', "*", "-", "@",
    "06-12345678", "**", "http://x.example/", "<script>", "\u0000\u0000",
]  # fmt: skip
piece = st.lists(st.one_of(st.sampled_from(NASTY), st.characters()), max_size=30).map("".join)
# Small hostile text, and huge text built by repeating a hostile piece (generating 300 KB char by char is slow).
hostile_text = st.one_of(
    piece,
    st.builds(lambda part, times: part * times, piece.filter(bool), st.integers(100, 30_000)).map(
        lambda text: text[:300_000]
    ),
)
wrong_type = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
anything = st.one_of(hostile_text, wrong_type)
API = "/api/v1"


def stored_as(value: str) -> str:
    """What the domain keeps of accepted text: no NUL bytes, no surrounding space."""
    return value.replace("\x00", "").strip()


# --- the domain functions ----------------------------------------------------------------


@given(title=anything, description=anything)
@example(title="Titel\x00", description="Omschrijving met \x00 NUL")
@example(title="Titel", description="lone \ud800 surrogate")
def test_signal_create_accepts_or_refuses_when_input_is_hostile(
    reporter: User, community: Community, housing: Theme, title: Any, description: Any
) -> None:
    municipality = Municipality.objects.get(cbs_code="GM0855")
    try:
        signal = signal_create(
            actor=reporter,
            community=community,
            title=title,
            description=description,
            theme=housing,
            municipality=municipality,
        )
    except (ValidationError, PermissionDenied):
        return
    stored = Signal.objects.get(pk=signal.pk)
    assert (stored.title, stored.description) == (stored_as(title), stored_as(description))


@given(body=anything)
@example(body="hallo\x00wereld")
@example(body="\ud800")
@example(body=7)
def test_message_post_accepts_or_refuses_when_input_is_hostile(reporter: User, signal: Signal, body: Any) -> None:
    try:
        message, _created = message_post(actor=reporter, signal=signal, body=body, client_id=uuid.uuid4())
    except (ValidationError, PermissionDenied):
        return
    assert Message.objects.get(pk=message.pk).body == stored_as(body)


@given(body=anything)
@example(body="nieuw\x00")
@example(body="\udfff")
def test_message_edit_accepts_or_refuses_when_input_is_hostile(reporter: User, signal: Signal, body: Any) -> None:
    message, _created = message_post(actor=reporter, signal=signal, body="Eerste versie")
    try:
        edited = message_edit(actor=reporter, message=message, body=body)
    except (ValidationError, PermissionDenied):
        return
    assert Message.objects.get(pk=edited.pk).body == stored_as(body)


@given(text=hostile_text)
def test_the_privacy_guard_passes_or_finds_when_text_is_hostile(text: str) -> None:
    try:
        guard(text)
    except PersonalDataFound as found:
        assert found.findings and all(text[f.start : f.end] == f.text for f in found.findings)


@given(text=hostile_text)
def test_render_body_escapes_everything_when_text_is_hostile(text: str) -> None:
    html = render_body(text)
    assert "<script" not in html


@given(display_name=anything, pseudonym_label=anything, preferred_language=anything)
@example(display_name="Noor\x00", pseudonym_label="", preferred_language="nl")
@example(display_name="\ud800", pseudonym_label="x", preferred_language="nl")
def test_profile_update_accepts_or_refuses_when_input_is_hostile(
    reporter: User, display_name: Any, pseudonym_label: Any, preferred_language: Any
) -> None:
    try:
        profile_update(
            actor=reporter,
            user=reporter,
            display_name=display_name,
            pseudonym_label=pseudonym_label,
            preferred_language=preferred_language,
        )
    except (ValidationError, PermissionDenied):
        reporter.refresh_from_db()
        return
    stored = User.objects.get(pk=reporter.pk)
    assert "\x00" not in stored.display_name + stored.pseudonym_label
    reporter.refresh_from_db()


# --- the forms ---------------------------------------------------------------------------

form_value = st.one_of(hostile_text, st.lists(hostile_text, max_size=3))


@given(data=st.dictionaries(st.sampled_from(["community", "title", "description", "theme", "municipality",
                                              "recognised_from", "language"]), form_value))  # fmt: skip
def test_the_signal_form_validates_without_raising_when_input_is_hostile(reporter: User, data: dict[str, Any]) -> None:
    communities: QuerySet[Community] = Community.objects.all()
    for short in (True, False):
        SignalForm(data, user=reporter, communities=communities, short=short).is_valid()


@given(data=st.dictionaries(st.sampled_from(["display_name", "pseudonymous", "pseudonym_label", "municipalities",
                                              "organisation", "preferred_language"]), form_value))  # fmt: skip
def test_the_profile_form_validates_without_raising_when_input_is_hostile(reporter: User, data: dict[str, Any]) -> None:
    ProfileForm(data, user=reporter).is_valid()


# --- the pages ---------------------------------------------------------------------------


def form_body(fields: dict[str, str]) -> bytes:
    """A form body as a client may send it: lone surrogates become bytes that are not UTF-8."""
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode()


@given(title=hostile_text, description=hostile_text)
@example(title="Titel\x00", description="Omschrijving")
def test_the_new_signal_page_never_fails_when_input_is_hostile(
    reporter: User, community: Community, housing: Theme, client: Client, title: str, description: str
) -> None:
    client.force_login(reporter)
    fields = {"community": str(community.pk), "title": title, "description": description, "theme": str(housing.pk),
              "municipality": str(Municipality.objects.get(cbs_code="GM0855").pk), "language": "nl"}  # fmt: skip
    response = client.post("/signals/new/", form_body(fields), content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


@given(body=hostile_text)
@example(body="\x00")
def test_posting_a_message_on_the_page_never_fails_when_input_is_hostile(
    reporter: User, signal: Signal, client: Client, body: str
) -> None:
    client.force_login(reporter)
    response = client.post(
        f"/signals/{signal.pk}/messages/", form_body({"body": body}), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500


# --- the API -----------------------------------------------------------------------------

json_value = st.one_of(
    anything, st.lists(anything, max_size=3), st.dictionaries(st.text(max_size=5), hostile_text, max_size=2)
)


def assert_api_answer(response: Any) -> None:
    assert response.status_code < 500
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body["detail"], str) and isinstance(body["code"], str)


@pytest.fixture
def api_client(reporter: User, settings: Any) -> APIClient:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    return client_for(reporter)


@given(payload=st.one_of(
    st.fixed_dictionaries({"community": st.just("cop-hvb"), "title": json_value, "description": json_value,
                           "theme": st.just("housing"), "municipality": st.just("GM0855")},
                          optional={"language": json_value, "recognised_from": json_value,
                                    "confirmed_findings": json_value}),
    json_value,
))  # fmt: skip
@example(payload={"community": "cop-hvb", "title": "T\ud800", "description": "x", "theme": "housing",
                  "municipality": "GM0855"})  # fmt: skip
def test_the_signal_api_answers_4xx_when_input_is_hostile(api_client: APIClient, payload: Any) -> None:
    response = api_client.post(f"{API}/signals/", json.dumps(payload), content_type="application/json")
    assert_api_answer(response)


@given(payload=st.one_of(
    st.fixed_dictionaries({"body": json_value}, optional={"client_id": json_value, "language": json_value,
                                                          "confirmed_findings": json_value}),
    json_value,
))  # fmt: skip
@example(payload={"body": "\ud800"})
@example(payload={"body": "a\x00b"})
def test_the_message_api_answers_4xx_when_input_is_hostile(api_client: APIClient, signal: Signal, payload: Any) -> None:
    response = api_client.post(
        f"{API}/signals/{signal.pk}/messages/", json.dumps(payload), content_type="application/json"
    )
    assert_api_answer(response)


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00", b'{"body": "\\ud800"}', b"[]", b"null", b"7"])
def test_the_message_api_answers_4xx_when_the_body_is_not_json_of_an_object(
    api_client: APIClient, signal: Signal, raw: bytes
) -> None:
    response = api_client.post(f"{API}/signals/{signal.pk}/messages/", raw, content_type="application/json")
    assert_api_answer(response)
