"""The JSON API: authentication, every endpoint for every role, errors, pagination, queries, schema."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openapi_spec_validator import validate
from rest_framework.test import APIClient

from community.models import ApiToken, Community, Role, User, UserKind
from community.tokens import api_token_revoke
from signals.models import Recognition, Signal, Status, Theme
from signals.services import signal_create
from signals.workflow import signal_transition
from tests.api.conftest import client_for
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db
API = "/api/v1"


# --- authentication -------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer"])
def test_a_personal_token_authenticates_and_is_marked_used(make_member: MakeMember, scheme: str) -> None:
    user = make_member()
    client = client_for(user, scheme)
    assert client.get(f"{API}/communities/").status_code == 200
    assert ApiToken.objects.get(user=user).last_used_at is not None


def test_a_revoked_token_is_refused_at_once(make_member: MakeMember) -> None:
    user = make_member()
    client = client_for(user)
    assert client.get(f"{API}/themes/").status_code == 200
    api_token_revoke(user=user, token_id=ApiToken.objects.get(user=user).pk)
    response = client.get(f"{API}/themes/")
    assert response.status_code == 401
    assert response.json() == {"detail": "This token is not valid.", "code": "authentication_failed"}


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer", "Bearer a b", "Token " + "x" * 50])
def test_bad_tokens_are_401(header: str, db: None) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get(f"{API}/themes/").status_code == 401


def test_a_deactivated_persons_token_is_refused(make_member: MakeMember) -> None:
    user = make_member()
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(f"{API}/themes/").status_code == 401


def test_anonymous_requests_are_401_in_the_contract_format(db: None) -> None:
    response = APIClient().get(f"{API}/signals/")
    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code"} and response.json()["code"] == "not_authenticated"


def test_errors_speak_the_language_asked_for(make_member: MakeMember) -> None:
    """Error texts follow Accept-Language (or the person's own language): Django REST framework's own
    messages as well as ours; the codes stay the same for scripts."""
    details: dict[str, dict[str, str]] = {}
    member = make_member()
    for language in ("en", "nl", "ar"):
        anonymous = APIClient().get(f"{API}/signals/", HTTP_ACCEPT_LANGUAGE=language)
        client = client_for(member, language=language)
        unknown = client.get(f"{API}/signals/999999/")
        invalid = client.post(f"{API}/signals/", {"title": ""}, format="json")
        assert (anonymous.json()["code"], unknown.json()["code"], invalid.json()["code"]) == (
            "not_authenticated",
            "not_found",
            "invalid",
        )
        details[language] = {
            "anonymous": anonymous.json()["detail"],
            "unknown": unknown.json()["detail"],
            "invalid": invalid.json()["detail"],
        }
    assert details["en"]["unknown"] == "Not found, or not in your communities."
    for language in ("nl", "ar"):
        for kind, text in details[language].items():
            assert text and text != details["en"][kind], (language, kind, text)
    assert all(any("\u0600" <= char <= "\u06ff" for char in text) for text in details["ar"].values())


def test_the_browser_session_needs_the_csrf_token_for_writes(
    signal: Signal, make_member: MakeMember, community: Community
) -> None:
    member = make_member()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(f"{API}/signals/").status_code == 200
    response = client.post(f"{API}/signals/{signal.pk}/recognitions/", {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


# --- every endpoint for every role ----------------------------------------------------------

ROLES = ["outsider", "member", "moderator", "coordinator", "liaison"]


def role_client(api_as: Any, name: str) -> APIClient:
    return api_as(None if name == "outsider" else Role(name))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("outsider", 404), ("member", 201), ("moderator", 201), ("coordinator", 201), ("liaison", 403)],
)
def test_reporting_by_role(api_as: Any, community: Community, name: str, expected: int) -> None:
    body = {
        "community": community.slug,
        "title": "Wachtlijst taalschool",
        "description": "Drie maanden wachten.",
        "theme": "civic-integration",
        "municipality": "GM0766",
    }
    response = role_client(api_as, name).post(f"{API}/signals/", body, format="json")
    assert response.status_code == expected, response.json()
    if expected == 201:
        data = response.json()
        assert data["counts"] == {"recognitions": 1, "municipalities": 1, "organisations": 1, "status_holders": 0}
        assert data["status"] == "open" and data["progress"].startswith("Recognised by 1 person")


@pytest.mark.parametrize(
    ("name", "read", "recognise", "follow", "escalate"),
    [
        ("outsider", 404, 404, 404, 404),
        ("member", 200, 201, 204, 403),
        ("moderator", 200, 201, 204, 403),
        ("coordinator", 200, 201, 204, 200),
        ("liaison", 404, 404, 404, 404),  # the signal is not reported yet
    ],
)
def test_signal_endpoints_by_role(
    api_as: Any, signal: Signal, name: str, read: int, recognise: int, follow: int, escalate: int
) -> None:
    client = role_client(api_as, name)
    assert client.get(f"{API}/signals/{signal.pk}/").status_code == read
    assert client.post(f"{API}/signals/{signal.pk}/recognitions/", {}, format="json").status_code == recognise
    assert client.post(f"{API}/signals/{signal.pk}/follow/").status_code == follow
    move = {"to": "escalated", "reason": "Speelt in vier gemeenten."}
    assert client.post(f"{API}/signals/{signal.pk}/transitions/", move, format="json").status_code == escalate
    listed = {s["id"] for s in client.get(f"{API}/signals/").json()["results"]}
    assert (signal.pk in listed) == (read == 200)


def test_liaisons_read_and_answer_reported_signals(api_as: Any, signal: Signal) -> None:
    signal_transition(actor=None, signal=signal, to=Status.ESCALATED, reason="rule")
    signal_transition(actor=None, signal=signal, to=Status.REPORTED)
    liaison = api_as(Role.LIAISON)
    assert liaison.get(f"{API}/signals/{signal.pk}/").status_code == 200
    answer = {"to": "answered", "reason": "Het ministerie past de regeling aan.", "on_behalf_of": "SZW"}
    response = liaison.post(f"{API}/signals/{signal.pk}/transitions/", answer, format="json")
    assert response.status_code == 200 and response.json()["status"] == "answered"
    assert liaison.post(f"{API}/signals/{signal.pk}/recognitions/", {}, format="json").status_code == 403


def test_editing_by_the_author_and_moderators_only(signal: Signal, reporter: User, api_as: Any) -> None:
    author = client_for(reporter)
    response = author.patch(f"{API}/signals/{signal.pk}/", {"title": "Nieuwe titel"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Nieuwe titel"
    assert api_as(Role.MEMBER).patch(f"{API}/signals/{signal.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api_as(Role.MODERATOR).patch(f"{API}/signals/{signal.pk}/", {"title": "y"}, format="json").status_code == 200


def test_withdrawing_a_recognition(signal: Signal, make_member: MakeMember) -> None:
    client = client_for(make_member("GM0785"))
    client.post(f"{API}/signals/{signal.pk}/recognitions/", {"people_affected": 3}, format="json")
    assert Recognition.objects.filter(signal=signal).count() == 2
    response = client.delete(f"{API}/signals/{signal.pk}/recognitions/")
    assert response.status_code == 200 and response.json()["counts"]["recognitions"] == 1
    again = client.delete(f"{API}/signals/{signal.pk}/recognitions/")
    assert again.status_code == 400 and again.json()["code"] == "not_recognised"


def test_reference_data(api_as: Any, community: Community) -> None:
    client = api_as(Role.COORDINATOR)
    themes = client.get(f"{API}/themes/").json()
    assert len(themes) == 10 and themes[0]["slug"] == "housing" and themes[0]["name"] == "Housing"
    places = client.get(f"{API}/municipalities/").json()
    assert {p["cbs_code"] for p in places} >= {"GM0855", "GM0766"} and len(places) == 9
    mine = client.get(f"{API}/communities/").json()
    assert mine == [
        {
            "slug": community.slug,
            "name": community.name,
            "description": community.description,
            "language": "nl",
            "region": "hart-van-brabant",
            "role": "coordinator",
            "escalation_rule": {"recognitions": 10, "municipalities": 3, "organisations": 2, "status_holders": 0},
        }
    ]
    assert api_as(None).get(f"{API}/communities/").json() == []
    assert api_as(None).get(f"{API}/municipalities/").json() == []


# --- errors ----------------------------------------------------------------------------------


def test_an_illegal_transition_is_409(signal: Signal, api_as: Any) -> None:
    response = api_as(Role.COORDINATOR).post(
        f"{API}/signals/{signal.pk}/transitions/", {"to": "answered", "reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    signal.refresh_from_db()
    assert signal.status == Status.OPEN


def test_a_move_without_what_it_needs_is_400(signal: Signal, api_as: Any) -> None:
    response = api_as(Role.COORDINATOR).post(f"{API}/signals/{signal.pk}/transitions/", {"to": "closed"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "outcome_required")


def test_the_privacy_guard_answers_400_with_its_findings(api_as: Any, community: Community) -> None:
    client = api_as(Role.MEMBER)
    body = {
        "community": community.slug,
        "title": "Bellen",
        "description": "Bel de helpdesk 0800-1234567.",
        "theme": "housing",
        "municipality": "GM0766",
    }
    response = client.post(f"{API}/signals/", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "personal_data"
    assert [(f["kind"], f["text"]) for f in data["findings"]] == [("phone", "0800-1234567")]
    confirmed = client.post(
        f"{API}/signals/", {**body, "confirmed_findings": [data["findings"][0]["key"]]}, format="json"
    )
    assert confirmed.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"title": "x"},
        {"community": "cop-hvb", "title": "x" * 141, "description": "d", "theme": "housing", "municipality": "GM0766"},
        {"community": "cop-hvb", "title": "t", "description": "d", "theme": "nope", "municipality": "GM0766"},
        {"community": "cop-hvb", "title": "t", "description": "d", "theme": "housing", "municipality": "GM9999"},
    ],
)
def test_bad_input_is_400_with_the_fields(api_as: Any, community: Community, body: dict[str, str]) -> None:
    response = api_as(Role.MEMBER).post(f"{API}/signals/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["errors"]
    assert not Signal.objects.exists()


def test_malformed_json_is_400(api_as: Any) -> None:
    response = api_as(Role.MEMBER).post(f"{API}/signals/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_an_oversized_body_is_413(api_as: Any, community: Community) -> None:
    body = {
        "community": community.slug,
        "title": "t",
        "description": "x" * 300_000,
        "theme": "housing",
        "municipality": "GM0766",
    }
    response = api_as(Role.MEMBER).post(f"{API}/signals/", body, format="json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_writes_are_rate_limited_per_token_with_429(
    signal: Signal, make_member: MakeMember, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.throttling.WRITES_PER_MINUTE", 2)
    client = client_for(make_member("GM0785"))
    statuses = [client.post(f"{API}/signals/{signal.pk}/follow/").status_code for _ in range(3)]
    assert statuses == [204, 204, 429]
    limited = client.post(f"{API}/signals/{signal.pk}/follow/")
    assert limited.json()["code"] == "throttled" and int(limited["Retry-After"]) >= 1
    assert client.get(f"{API}/signals/{signal.pk}/").status_code == 200  # reading is not limited


def test_unknown_ids_are_404_alike(api_as: Any, signal: Signal) -> None:
    client = api_as(None)
    for pk in (signal.pk, signal.pk + 1, 999_999):
        response = client.get(f"{API}/signals/{pk}/")
        assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- list: filters, pagination, queries ------------------------------------------------------


@pytest.fixture
def several(community: Community, make_member: MakeMember, housing: Theme) -> list[Signal]:
    from community.models import Municipality

    holder = make_member("GM0766", kind=UserKind.STATUS_HOLDER)
    pro = make_member("GM0855")
    work = Theme.objects.get(slug="work")
    make = lambda user, title, theme, code: signal_create(  # noqa: E731
        actor=user, community=community, title=title, description="Beschrijving.", theme=theme,
        municipality=Municipality.objects.get(cbs_code=code),
    )  # fmt: skip
    return [
        make(pro, "Woningen voor grote gezinnen", housing, "GM0855"),
        make(pro, "Werkgevers kennen de regels niet", work, "GM0867"),
        make(holder, "Ik vind geen stage", work, "GM0766"),
    ]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"theme": "work"}, {"Werkgevers kennen de regels niet", "Ik vind geen stage"}),
        ({"municipality": "GM0867"}, {"Werkgevers kennen de regels niet"}),
        ({"author_kind": "status_holder"}, {"Ik vind geen stage"}),
        ({"status": "closed"}, set()),
        ({"community": "nope"}, set()),
        ({"q": "woning"}, {"Woningen voor grote gezinnen"}),
        ({"q": "werkgver"}, {"Werkgevers kennen de regels niet"}),
    ],
)
def test_list_filters(api_as: Any, several: list[Signal], params: dict[str, str], titles: set[str]) -> None:
    data = api_as(Role.MEMBER).get(f"{API}/signals/", params).json()
    assert {s["title"] for s in data["results"]} == titles


@pytest.mark.usefixtures("posting_limits_lifted")
def test_pages_are_stable_and_complete(
    api_as: Any, community: Community, make_member: MakeMember, housing: Theme
) -> None:
    from community.models import Municipality

    author = make_member()
    for number in range(7):
        signal_create(
            actor=author, community=community, title=f"Signaal {number}", description="d", theme=housing,
            municipality=Municipality.objects.get(cbs_code="GM0855"),
        )  # fmt: skip
    client = api_as(Role.MEMBER)
    seen: list[int] = []
    url: str | None = f"{API}/signals/?page_size=3&ordering=newest"
    while url:
        data = client.get(url).json()
        seen += [s["id"] for s in data["results"]]
        url = data["next"]
    assert len(seen) == len(set(seen)) == 7 and data["count"] == 7
    assert client.get(f"{API}/signals/", {"page": 99}).status_code == 404


@pytest.mark.usefixtures("posting_limits_lifted")
@pytest.mark.parametrize("size", [3, 25])
def test_the_list_runs_a_constant_number_of_queries(
    api_as: Any, community: Community, make_member: MakeMember, housing: Theme, size: int
) -> None:
    from community.models import Municipality

    author = make_member()
    for number in range(size):
        signal_create(
            actor=author, community=community, title=f"S {number}", description="d", theme=housing,
            municipality=Municipality.objects.get(cbs_code="GM0855"),
        )  # fmt: skip
    client = api_as(Role.MEMBER)
    client.get(f"{API}/signals/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}/signals/?page_size=100").status_code == 200
    # token, its last use (at most once a minute), roles, count, the page with its joins
    assert len(queries) == 4, [q["sql"][:80] for q in queries.captured_queries]


# --- schema (its docs page: test_reference.py) -----------------------------------------------


def test_the_schema_is_valid_openapi_and_documents_every_endpoint(api_as: Any) -> None:
    response = api_as(Role.MEMBER).get(f"{API}/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    paths = set(schema["paths"])
    assert {
        "/api/v1/signals/",
        "/api/v1/signals/{id}/",
        "/api/v1/signals/{id}/recognitions/",
        "/api/v1/signals/{id}/transitions/",
        "/api/v1/signals/{id}/follow/",
        "/api/v1/themes/",
        "/api/v1/municipalities/",
        "/api/v1/communities/",
    } <= paths
    create = schema["paths"]["/api/v1/signals/"]["post"]
    assert {"201", "400", "401", "403", "404", "413", "429"} <= set(create["responses"])
    assert "personalToken" in schema["components"]["securitySchemes"]


ENDPOINTS = [
    ("get", "/signals/"),
    ("post", "/signals/"),
    ("get", "/signals/{pk}/"),
    ("patch", "/signals/{pk}/"),
    ("post", "/signals/{pk}/recognitions/"),
    ("delete", "/signals/{pk}/recognitions/"),
    ("post", "/signals/{pk}/transitions/"),
    ("post", "/signals/{pk}/follow/"),
    ("delete", "/signals/{pk}/follow/"),
    ("get", "/signals/{pk}/messages/"),
    ("post", "/signals/{pk}/messages/"),
    ("get", "/themes/"),
    ("get", "/municipalities/"),
    ("get", "/communities/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_refuses_anonymous_and_revoked_tokens_with_401(
    signal: Signal, make_member: MakeMember, method: str, path: str
) -> None:
    url = API + path.format(pk=signal.pk)
    assert getattr(APIClient(), method)(url, {}, format="json").status_code == 401
    member = make_member()
    revoked = client_for(member)
    api_token_revoke(user=member, token_id=ApiToken.objects.get(user=member).pk)
    response = getattr(revoked, method)(url, {}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    assert signal.recognitions.count() == 1 and Signal.objects.count() == 1  # nothing changed


# Unfollowing only removes the caller's own row, so it answers 204 to anyone signed in.
@pytest.mark.parametrize(
    ("method", "path"), [e for e in ENDPOINTS if "{pk}" in e[1] and e != ("delete", "/signals/{pk}/follow/")]
)
def test_every_signal_endpoint_answers_404_to_a_non_member(signal: Signal, api_as: Any, method: str, path: str) -> None:
    response = getattr(api_as(None), method)(API + path.format(pk=signal.pk), {}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [{"theme": "hous\x00ing"}, {"municipality": "GM\x000855"}, {"theme": 12}, {"municipality": ["GM0855"]}],
)
def test_odd_values_in_lookups_are_400_not_500(signal: Signal, reporter: User, body: dict[str, Any]) -> None:
    response = client_for(reporter).patch(f"{API}/signals/{signal.pk}/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


@pytest.mark.parametrize("page", ["0", "-1", "abc"])
def test_a_nonsense_page_number_is_400(api_as: Any, page: str) -> None:
    response = api_as(Role.MEMBER).get(f"{API}/signals/", {"page": page})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_unknown_api_paths_answer_json_404(api_as: Any) -> None:
    for path in ("/signals/abc/", "/nothing/", "/signals/1/unknown/"):
        response = api_as(Role.MEMBER).get(API + path)
        assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_recognising_twice_is_a_409_conflict(signal: Signal, make_member: MakeMember) -> None:
    client = client_for(make_member("GM0785"))
    client.post(f"{API}/signals/{signal.pk}/recognitions/", {}, format="json")
    again = client.post(f"{API}/signals/{signal.pk}/recognitions/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "already_recognised")


def test_a_closed_signals_figures_cannot_be_changed_by_withdrawing(
    signal: Signal, make_member: MakeMember, api_as: Any
) -> None:
    member = make_member("GM0785")
    client = client_for(member)
    client.post(f"{API}/signals/{signal.pk}/recognitions/", {}, format="json")
    Signal.objects.filter(pk=signal.pk).update(status=Status.CLOSED)
    response = client.delete(f"{API}/signals/{signal.pk}/recognitions/")
    assert (response.status_code, response.json()["code"]) == (409, "not_recognisable")
    assert signal.recognitions.count() == 2


def test_unfollowing_works_after_losing_access(signal: Signal, make_member: MakeMember) -> None:
    from community.models import Membership

    member = make_member()
    client = client_for(member)
    client.post(f"{API}/signals/{signal.pk}/follow/")
    Membership.objects.filter(user=member).delete()
    assert client.delete(f"{API}/signals/{signal.pk}/follow/").status_code == 204
    assert not signal.follows.filter(user=member).exists()


def test_the_write_limit_is_per_person_across_tokens(
    signal: Signal, make_member: MakeMember, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("api.throttling.WRITES_PER_MINUTE", 2)
    member = make_member("GM0785")
    first, second = client_for(member), client_for(member)
    assert first.post(f"{API}/signals/{signal.pk}/follow/").status_code == 204
    assert second.post(f"{API}/signals/{signal.pk}/follow/").status_code == 204
    assert second.post(f"{API}/signals/{signal.pk}/follow/").status_code == 429


def test_messages_over_the_api_with_a_safe_retry_and_resync(
    signal: Signal, make_member: MakeMember, api_as: Any
) -> None:
    client = client_for(make_member("GM0785"))
    body = {"body": "Herkenbaar, ook in Goirle.", "client_id": "5f0d1f9e-8a53-4b5c-9d58-0a1c9f2f8e11"}
    first = client.post(f"{API}/signals/{signal.pk}/messages/", body, format="json")
    retry = client.post(f"{API}/signals/{signal.pk}/messages/", body, format="json")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert first.json()["id"] == retry.json()["id"]
    second = client.post(f"{API}/signals/{signal.pk}/messages/", {"body": "En nog iets."}, format="json").json()
    listed = client.get(f"{API}/signals/{signal.pk}/messages/").json()
    assert [m["id"] for m in listed] == [first.json()["id"], second["id"]]
    after = client.get(f"{API}/signals/{signal.pk}/messages/", {"after": first.json()["id"]}).json()
    assert [m["id"] for m in after] == [second["id"]]
    assert client.get(f"{API}/signals/{signal.pk}/messages/", {"after": "x"}).status_code == 400
    too_long = client.post(f"{API}/signals/{signal.pk}/messages/", {"body": "x" * 4001}, format="json")
    assert too_long.status_code == 400
    assert api_as(None).get(f"{API}/signals/{signal.pk}/messages/").status_code == 404
    assert (
        api_as(Role.LIAISON).post(f"{API}/signals/{signal.pk}/messages/", {"body": "x"}, format="json").status_code
        == 404
    )
