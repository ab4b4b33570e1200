"""Schemathesis drives every operation of the schema with generated input against a real gunicorn:
whatever it sends, the API answers without a 5xx, with a status code, content type, headers and body
the schema declares. A short run in `make test`; `make test-long` (HYPOTHESIS_PROFILE=long) sends many
more examples of each operation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from community.models import Role
from community.tokens import api_token_create
from tests.servers import app_server
from tests.signals.conftest import MakeMember

EXAMPLES = {"short": 8, "long": 150}[os.environ.get("HYPOTHESIS_PROFILE", "short")]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def live(
    server_env: dict[str, str], transactional_db: None, make_member: MakeMember, signal: Any
) -> Iterator[tuple[str, str]]:
    _token, key = api_token_create(user=make_member("GM0766", role=Role.COORDINATOR), name="schemathesis")
    with app_server("gunicorn", {**server_env, "ALLOWED_HOSTS": "127.0.0.1,localhost"}) as url:
        yield url, key


def test_no_input_makes_the_api_fail(live: tuple[str, str]) -> None:
    url, key = live
    schema = schemathesis.openapi.from_url(f"{url}/api/v1/schema/?format=json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        def generated(case: Any) -> None:
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
            case.validate_response(response, checks=CHECKS)

        generated()
