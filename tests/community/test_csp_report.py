"""Where browsers report what the Content Security Policy blocked: a warning in the log, nothing personal in it,
and a door that neither a stranger's junk nor a flood gets through."""

from __future__ import annotations

import json
import logging
import time

import pytest
from django.test import Client
from django.urls import reverse

from community.views.csp import MAX_REPORT_BYTES, REPORTS_PER_MINUTE

URL = "/csp-report/"
PAGE = "https://knooppunt.example/signals/42/?q=wachtlijst+Dongen"
BLOCKED = "https://attacker.example/steal?cookie=abc123"
SAMPLE = "window.__xss='script'"

REPORT_URI_BODY = {
    "csp-report": {
        "document-uri": PAGE,
        "referrer": "https://knooppunt.example/signals/",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'; report-uri /csp-report/",
        "disposition": "enforce",
        "blocked-uri": BLOCKED,
        "script-sample": SAMPLE,
        "status-code": 200,
    }
}
REPORT_TO_BODY = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": PAGE,
        "user_agent": "Chromium",
        "body": {
            "documentURL": PAGE,
            "effectiveDirective": "img-src",
            "blockedURL": "https://tracker.example/pixel.gif?who=noor",
            "sample": SAMPLE,
            "disposition": "enforce",
        },
    },
    {
        "type": "csp-violation",
        "url": PAGE,
        "body": {"documentURL": PAGE, "effectiveDirective": "script-src-elem", "blockedURL": "inline"},
    },
]


@pytest.fixture
def client() -> Client:
    """A browser without a CSRF token: reports carry none, and the view must not ask for one."""
    return Client(enforce_csrf_checks=True)


def _post(client: Client, body: object, content_type: str = "application/csp-report", **extra: str) -> int:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(URL, data=data, content_type=content_type, **extra).status_code


def test_the_url_is_the_report_uri_of_the_policy(settings: object) -> None:
    assert reverse("csp_report") == URL
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] == [URL]  # type: ignore[attr-defined]


def test_a_report_uri_report_is_logged_with_directive_and_origin_only_when_posted_without_a_csrf_token(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="community.views.csp"):
        assert _post(client, REPORT_URI_BODY) == 204
    [record] = [r for r in caplog.records if r.name == "community.views.csp"]
    assert record.levelno == logging.WARNING
    logged = record.getMessage()
    assert logged == "Content Security Policy violation: script-src-elem blocked https://attacker.example"
    for private in ("/signals/42", "wachtlijst", "/steal", "cookie", "abc123", SAMPLE, "__xss"):
        assert private not in logged


def test_a_report_to_list_is_logged_once_per_violation(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="community.views.csp"):
        assert _post(client, REPORT_TO_BODY, content_type="application/reports+json") == 204
    logged = [r.getMessage() for r in caplog.records if r.name == "community.views.csp"]
    assert logged == [
        "Content Security Policy violation: img-src blocked https://tracker.example",
        "Content Security Policy violation: script-src-elem blocked inline",
    ]
    assert not any("noor" in line or "pixel" in line or "__xss" in line for line in logged)


def test_a_get_is_not_allowed(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(REPORT_URI_BODY, "text/plain", id="wrong-content-type"),
        pytest.param(REPORT_URI_BODY, "application/x-www-form-urlencoded", id="a-form"),
        pytest.param(b"{not json", "application/csp-report", id="not-json"),
        pytest.param(b"\xff\xfe\x00", "application/csp-report", id="not-text"),
        pytest.param({"hello": "world"}, "application/csp-report", id="json-without-report"),
        pytest.param({"csp-report": "inline"}, "application/csp-report", id="report-not-an-object"),
        pytest.param([{"type": "deprecation", "body": {}}], "application/reports+json", id="report-to-other-type"),
        pytest.param([], "application/reports+json", id="empty-list"),
        pytest.param("[" * 5000 + "]" * 5000, "application/json", id="deeply-nested"),
    ],
)
def test_what_is_not_a_report_is_refused(
    client: Client, caplog: pytest.LogCaptureFixture, body: object, content_type: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="community.views.csp"):
        assert _post(client, body, content_type=content_type) == 400
    assert not [r for r in caplog.records if r.name == "community.views.csp"]


def test_a_report_larger_than_16_kib_is_refused_unread(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    padded = {"csp-report": {**REPORT_URI_BODY["csp-report"], "script-sample": "x" * MAX_REPORT_BYTES}}
    with caplog.at_level(logging.WARNING, logger="community.views.csp"):
        assert _post(client, padded) == 413
    assert not [r for r in caplog.records if r.name == "community.views.csp"]
    # Just under the limit is still a report.
    fitting = {"csp-report": {**REPORT_URI_BODY["csp-report"], "script-sample": "x" * (MAX_REPORT_BYTES - 1024)}}
    assert _post(client, fitting) == 204


def test_one_address_is_refused_after_sixty_reports_a_minute_and_another_is_not(client: Client) -> None:
    # The limiter counts in fixed minutes: a run that straddles a minute's end is started again.
    for attempt in range(3):
        address = f"198.51.100.{attempt + 1}"
        minute = int(time.time() // 60)
        codes = [_post(client, REPORT_URI_BODY, REMOTE_ADDR=address) for _ in range(REPORTS_PER_MINUTE + 1)]
        if int(time.time() // 60) == minute:
            break
    assert REPORTS_PER_MINUTE == 60
    assert codes[:REPORTS_PER_MINUTE] == [204] * REPORTS_PER_MINUTE
    refused = client.post(URL, data=json.dumps(REPORT_URI_BODY), content_type="application/csp-report",
                          REMOTE_ADDR=address)  # fmt: skip
    assert codes[REPORTS_PER_MINUTE] == 429 and refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert _post(client, REPORT_URI_BODY, REMOTE_ADDR="203.0.113.7") == 204
