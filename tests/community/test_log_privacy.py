"""Logs never hold what people write: signal and message bodies stay out of every log record."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from community.logfilters import NoQueryValues, without_values
from community.models import Community, Municipality, User
from community.tokens import api_token_create
from signals.models import Message, Signal, Theme
from tests.signals.conftest import community, housing, make_member  # noqa: F401 -- the region's community

pytestmark = pytest.mark.django_db

SECRET = "Zeldzaam-woord-xq7"  # appears in every body below, and must appear in no log record


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, SQL included: each query is logged with its values, as with DEBUG on."""
    caplog.set_level(logging.DEBUG)
    for name in ("django.request", "django.db.backends", "django.server", "celery", "signals", "community"):
        caplog.set_level(logging.DEBUG, logger=name)
    debug_cursor = connection.force_debug_cursor
    connection.force_debug_cursor = True
    try:
        yield caplog
    finally:
        connection.force_debug_cursor = debug_cursor


def everything_in(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), str(record.msg), repr(record.args), record.exc_text or ""]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    parts += [repr(value) for key, value in vars(record).items() if key in {"sql", "params"}]
    return "\n".join(parts)


def test_logs_hold_no_body_when_signals_and_messages_are_posted_and_fail(
    everything_logged: pytest.LogCaptureFixture,
    bob: User,
    community: Community,  # noqa: F811
    housing: Theme,  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    caplog = everything_logged
    # For the server error at the end: a constraint that one body breaks, for this test only (the DDL rolls back
    # with the test's transaction); PostgreSQL then reports the whole row ("Failing row contains (…)").
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE signals_message ADD CONSTRAINT test_no_secret CHECK (body NOT LIKE %s)", [f"%Fout {SECRET}%"]
        )
    page = Client(raise_request_exception=False)
    page.force_login(bob)
    tilburg = Municipality.objects.get(cbs_code="GM0855")
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            reverse("signal_new"),
            {
                "community": community.pk,
                "title": f"Titel {SECRET}",
                "description": f"Beschrijving {SECRET}",
                "theme": housing.pk,
                "municipality": tilburg.pk,
                "language": "nl",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    signal = Signal.objects.get(description=f"Beschrijving {SECRET}")
    with django_capture_on_commit_callbacks(execute=True):
        assert page.post(reverse("message_post", args=[signal.pk]), {"body": f"Pagina {SECRET}"}).status_code == 302
    api = APIClient(raise_request_exception=False)
    _token, key = api_token_create(user=bob, name="logs")
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = reverse("api_messages", args=[signal.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(url, {"body": f"API {SECRET}"}, format="json").status_code == 201
    # Refusals: too long, and personal data found; both with the body in the request.
    assert api.post(url, {"body": f"{SECRET} " * 500}, format="json").status_code == 400
    assert api.post(url, {"body": f"Bel 0612345678 {SECRET}"}, format="json").status_code == 400
    # A server error whose database message carries the whole row ("Failing row contains (…)"): see the top.
    response = page.post(reverse("message_post", args=[signal.pk]), {"body": f"Fout {SECRET}"})
    assert response.status_code == 500
    assert Message.objects.filter(body__contains=SECRET).count() == 2

    names = {record.name for record in caplog.records}
    assert {"django.db.backends", "django.request"} <= names  # the queries and the errors were logged …
    assert any("signals_message" in record.getMessage() for record in caplog.records)
    leaks = [record for record in caplog.records if SECRET in everything_in(record)]  # … without a body
    assert not leaks, [everything_in(record)[:300] for record in leaks]
    assert SECRET not in caplog.text
    error = next(r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR)
    assert "IntegrityError" in (error.exc_text or "") and "DETAIL: (left out" in (error.exc_text or "")


def test_query_shape_stays_when_values_are_taken_out() -> None:
    sql = "INSERT INTO t (a, b, c) VALUES ('it''s', E'back\\\\slash', 42) RETURNING id"
    assert without_values(sql) == "INSERT INTO t (a, b, c) VALUES ('…', '…', 42) RETURNING id"
    record = logging.LogRecord("django.db.backends", logging.DEBUG, "", 0, "(%.3f) %s; args=%s; alias=%s", (), None)
    record.sql, record.params, record.duration, record.alias = sql, ("it's",), 0.001, "default"
    assert NoQueryValues().filter(record)
    assert "it" not in record.getMessage().replace("INSERT INTO", "") and "default" in record.getMessage()


def test_row_details_are_left_out_when_an_error_is_put_into_the_message() -> None:
    error = "new row violates check constraint\nDETAIL:  Failing row contains (7, Mijn verhaal)."
    record = logging.LogRecord("celery.app.trace", logging.ERROR, "", 0, "task failed: %s", (error,), None)
    assert NoQueryValues().filter(record)
    assert "Mijn verhaal" not in record.getMessage() and "task failed: new row violates" in record.getMessage()
