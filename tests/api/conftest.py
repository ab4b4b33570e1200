"""API clients that authenticate the way scripts do: with a personal token in a header."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from community.models import Role, User
from community.tokens import api_token_create
from tests.signals.conftest import MakeMember, community, housing, make_member, reporter, signal  # noqa: F401


def client_for(user: User, scheme: str = "Bearer", language: str = "en") -> APIClient:
    _token, key = api_token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}", HTTP_ACCEPT_LANGUAGE=language)
    return client


@pytest.fixture
def api_as(make_member: MakeMember):  # type: ignore[no-untyped-def]  # noqa: F811
    """``api_as(role)`` → a token client for a new person with that role (or ``None`` for an outsider)."""
    from tests.factories import UserFactory

    def make(role: Role | None, code: str = "GM0766") -> APIClient:
        user = make_member(code, role=role) if role else UserFactory()
        return client_for(user)

    return make
