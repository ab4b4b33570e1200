"""How the matrix asks: the URL configuration and WebSocket routes enumerated, each cell asked as its role.

Pages are asked with Django's test client and the role's session cookie, the API with DRF's client and
the role's personal token. Every request runs in a savepoint that is rolled back, so a cell that changes
something (a coordinator removing a member) cannot change the answer of the next cell.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.test import APIClient

from tests.security.paths import BODIES, PATHS
from tests.security.world import World

LOGIN = "login"  # a redirect to the sign-in page (allauth's or the admin's, which leads there)
Outcome = int | str


def url_patterns() -> Iterator[tuple[str, str, URLPattern]]:
    """(namespace:name, route, pattern) of every URL pattern; the route stands in for a missing name,
    as in tests/inclusion/pages.py."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str, namespace: str | None) -> Iterator[Any]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
            else:
                route = prefix + str(pattern.pattern)
                name = pattern.name or route
                yield (f"{namespace}:{name}" if namespace else name), route, pattern

    yield from walk(get_resolver().url_patterns, "", None)


def websocket_routes() -> list[str]:
    from community.routing import websocket_urlpatterns

    return [str(pattern.pattern) for pattern in websocket_urlpatterns]


def is_api(name: str) -> bool:
    """Asked with a personal token: the DRF views under /api/v1/ (the docs page is a page)."""
    return name.startswith("api") and name != "api_docs"


def outcome_of(response: HttpResponseBase, path: str) -> Outcome:
    """The status; for a redirect where it leads: ``LOGIN``, ``"back"`` (the same path, with a message),
    or ``"→name"`` (the URL name it leads to)."""
    if response.status_code in (301, 302, 303):
        location = urlsplit(response["Location"]).path
        if location in (reverse("account_login"), reverse("admin:login")):
            return LOGIN
        if location == path:
            return "back"
        try:
            match = resolve(location)
        except Resolver404:
            return f"→{location}"
        return f"→{match.view_name}"
    return response.status_code


@dataclass
class Asker:
    """One role's way in: a session for pages, a personal token for the API (neither for the anonymous)."""

    session: str | None
    token: str | None

    def __post_init__(self) -> None:
        self.page = Client(raise_request_exception=False)
        self.api = APIClient(raise_request_exception=False)
        if self.token:
            self.api.credentials(HTTP_AUTHORIZATION=f"Token {self.token}")

    def ask(self, method: str, path: str, *, api: bool, body: dict[str, object] | None = None) -> HttpResponseBase:
        client = self.api if api else self.page
        client.cookies = SimpleCookie()  # what a cell did (signed out, chose a language) stays in that cell
        if self.session and not api:
            client.cookies["sessionid"] = self.session
        with transaction.atomic():
            if method == "GET":
                response = client.get(path)
            elif api:
                data = "" if method == "DELETE" else json.dumps(body or {})
                response = client.generic(method, path, data, content_type="application/json")
            else:
                response = client.generic(method, path, "", content_type="application/x-www-form-urlencoded")
            transaction.set_rollback(True)
        return response


def askers(world: World) -> dict[str, Asker]:
    return {
        role: Asker(session=world.sessions.get(role), token=world.tokens.get(role))
        for role in ("anonymous", *world.sessions)
    }


def ask_all(
    world: World, table: dict[str, dict[str, dict[str, frozenset[Outcome]]]]
) -> tuple[dict[tuple[str, str, str], Outcome], dict[str, set[str]]]:
    """Every cell's answer, and for each route the methods its 405 answers say it allows."""
    found: dict[tuple[str, str, str], Outcome] = {}
    allowed: dict[str, set[str]] = {}
    by_role = askers(world)
    for name, methods in table.items():
        path = PATHS[name](world)
        for method, roles in methods.items():
            body = BODIES[(name, method)](world) if (name, method) in BODIES else None
            for role in roles:
                response = by_role[role].ask(method, path, api=is_api(name), body=body)
                found[(name, method, role)] = outcome_of(response, path)
                if response.status_code == 405 and response.has_header("Allow"):
                    allowed.setdefault(name, set()).update(m.strip() for m in response["Allow"].split(","))
    return found, allowed
