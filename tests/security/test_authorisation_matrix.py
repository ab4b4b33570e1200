"""Who is answered what, everywhere: eleven roles × every URL pattern and method × every WebSocket route
and client message type, against the one table in tests/security/matrix.py.

The URL configuration and the WebSocket routes are enumerated, so a route added without a line in the
table fails the build. Size (``MATRIX_*_CELLS``): 2,409 HTTP cells (108 URL patterns outside the admin ×
their methods × 11 roles); the admin's 137 patterns × 2 roles + 3 admin pages × 12 people (310); 128 WebSocket
cells (55 connections, 73 client messages). The id sweeps ask 7 endpoints about ids 1 to the highest + 3,
6 random and 5 huge ones each (over 150 asks, asserted).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import random
import re
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.db import connections
from django.urls import reverse

from community.asgi import application
from community.models import User
from notifications.consumers import NotificationConsumer
from notifications.models import Notification
from signals.consumers import SignalConsumer
from signals.models import Digest, DigestStatus, Message, Signal
from tests.factories import UserFactory, session_key
from tests.security.harness import Asker, ask_all, askers, outcome_of, url_patterns, websocket_routes
from tests.security.matrix import (
    ACCEPT,
    ADMIN_EXCEPTIONS,
    ADMIN_REFUSED,
    TABLE,
    WS_CONNECT,
    WS_MESSAGES,
)
from tests.security.paths import PATHS
from tests.security.world import ROLES, World, build_world

MATRIX_HTTP_CELLS = 2409  # 108 URL patterns outside the admin × their methods (GET, POST and more) × 11 roles
MATRIX_WS_CELLS = 128  # 2 routes: 5 targets × 11 roles to connect, and 73 message cells
HTTP_CELLS = sum(len(roles) for methods in TABLE.values() for roles in methods.values())
WS_CELLS = sum(len(roles) for targets in WS_CONNECT.values() for roles in targets.values()) + sum(
    len(roles) for kinds in WS_MESSAGES.values() for roles in kinds.values()
)


@pytest.fixture
def _unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's write limit per person (tested in tests/api) would otherwise answer 429 halfway."""
    monkeypatch.setattr("api.throttling.WRITES_PER_MINUTE", 100_000)


@pytest.fixture
def world(reference_data: None, _unthrottled: None) -> World:
    return build_world()


# --- The table covers everything ----------------------------------------------------------------------


def test_every_url_pattern_and_socket_route_is_in_the_table() -> None:
    names = {name for name, _route, _pattern in url_patterns() if not name.startswith("admin:")}
    missing, stale = sorted(names - set(TABLE)), sorted(set(TABLE) - names)
    assert not missing, f"URL patterns missing from tests/security/matrix.py TABLE (add who gets what): {missing}"
    assert not stale, f"TABLE names URL patterns that no longer exist: {stale}"
    assert set(PATHS) == names, f"tests/security/paths.py lacks a path for {sorted(names - set(PATHS))}"
    for name, methods in TABLE.items():
        assert {"GET", "POST"} <= set(methods), f"{name}: ask at least GET and POST"
        for method, cells in methods.items():
            assert set(cells) == set(ROLES), f"{name} {method}: a cell for every role"
    routes = websocket_routes()
    assert sorted(routes) == sorted(WS_CONNECT), f"WebSocket routes and WS_CONNECT differ: {routes}"
    assert sorted(routes) == sorted(WS_MESSAGES), f"WebSocket routes and WS_MESSAGES differ: {routes}"


@pytest.mark.parametrize(
    ("route", "consumer"), [("ws/signals/<int:pk>/", SignalConsumer), ("ws/notifications/", NotificationConsumer)]
)
def test_every_client_message_type_a_consumer_handles_is_in_the_table(route: str, consumer: type) -> None:
    handled = set(re.findall(r'(?:kind|content\.get\("type"\)) == "([\w.]+)"', inspect.getsource(consumer)))
    assert handled, f"found no message types in {consumer.__name__}"
    asked = set(WS_MESSAGES[route]) - {"unknown"}
    assert handled <= asked, f"{route}: message types {sorted(handled - asked)} are missing from WS_MESSAGES"


# --- HTTP ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_role_gets_the_answer_the_table_names_on_every_url_pattern(world: World) -> None:
    found, allowed = ask_all(world, TABLE)
    wrong = [
        f"{name} {method} as {role}: got {found[(name, method, role)]!r}, the table says {sorted(map(str, want))}"
        for name, methods in TABLE.items()
        for method, cells in methods.items()
        for role, want in cells.items()
        if found[(name, method, role)] not in want
    ]
    assert not wrong, f"{len(wrong)} of {len(found)} cells differ:\n" + "\n".join(wrong)
    for name, methods in allowed.items():
        unasked = methods - set(TABLE[name]) - {"HEAD", "OPTIONS"}
        assert not unasked, f"{name} also accepts {sorted(unasked)}: add those methods to the table"


def _admin_paths() -> dict[str, str]:
    """A path for every admin pattern: any id will do, a non-staff person never gets as far as the object."""
    paths = {}
    for name, route, _pattern in url_patterns():
        if name.startswith("admin:"):
            path = re.sub(r"\(\?P<app_label>[^)]*\)", "signals", route)
            path = re.sub(r"\(\?P<\w+>[^)]*\)|<[^>]+>", "1", path)
            paths[name] = "/" + path.replace("^", "").replace("$", "")
    return paths


@pytest.mark.django_db
def test_the_admin_is_for_staff_only(world: World) -> None:
    paths = _admin_paths()
    assert len(paths) > 50
    by_role = askers(world)
    wrong = []
    for role in ("anonymous", "coordinator"):
        for name, path in paths.items():
            got = outcome_of(by_role[role].ask("GET", path, api=False), path)
            if got not in ADMIN_EXCEPTIONS.get(name, ADMIN_REFUSED):
                wrong.append(f"{name} ({path}) as {role}: {got!r}")
    staff = UserFactory(is_staff=True, is_superuser=True)
    people = {**by_role, "staff": Asker(session=session_key(staff), token=None)}
    pages = [
        reverse("admin:index"),
        reverse("admin:signals_signal_changelist"),
        reverse("admin:community_user_change", args=[world.users["member"]]),
    ]
    for role, asker in people.items():
        for path in pages:
            got = outcome_of(asker.ask("GET", path, api=False), path)
            if (got != 200) if role == "staff" else (got not in ADMIN_REFUSED):
                wrong.append(f"{path} as {role}: {got!r}")
    assert not wrong, "\n".join(wrong)


# --- Id sweeps: unknown and not-yours answer alike -------------------------------------------------------

HUGE_IDS = [2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30]


def _ids(highest: int) -> list[int]:
    chance = random.Random(20261202)
    return [*range(1, highest + 4), *chance.sample(range(10_000, 2**31 - 1), 6), *HUGE_IDS]


@pytest.mark.django_db
def test_a_member_is_answered_alike_for_ids_that_do_not_exist_and_ids_not_theirs(world: World) -> None:
    member = User.objects.get(pk=world.users["member"])
    asker = askers(world)["member"]
    own = world.community
    sweeps: dict[str, tuple[set[int], int, list[tuple[str, str, bool]]]] = {
        "signal": (
            set(Signal.objects.filter(community__slug=own, hidden=False).values_list("pk", flat=True)),
            Signal.objects.order_by("-pk").values_list("pk", flat=True)[0],
            [("GET", "/signals/{}/", False), ("GET", "/api/v1/signals/{}/", True)],
        ),
        "digest": (
            set(Digest.objects.filter(community__slug=own, status=DigestStatus.SENT).values_list("pk", flat=True)),
            Digest.objects.order_by("-pk").values_list("pk", flat=True)[0],
            [("GET", "/digests/{}/", False), ("GET", "/api/v1/digests/{}/", True)],
        ),
        # A hidden message stays in its discussion as a placeholder with its id (signals.selectors.discussion):
        # readers of the signal know it is there, so it answers as any message of someone else (403).
        "message": (
            set(Message.objects.filter(signal_id=world.signal).values_list("pk", flat=True)),
            Message.objects.order_by("-pk").values_list("pk", flat=True)[0],
            [("GET", f"/signals/{world.signal}/messages/{{}}/edit/", False)],
        ),
        "notification": (
            set(Notification.objects.filter(recipient=member).values_list("pk", flat=True)),
            Notification.objects.order_by("-pk").values_list("pk", flat=True)[0],
            [("POST", "/notifications/{}/read/", False), ("POST", "/api/v1/notifications/{}/read/", True)],
        ),
    }
    # Each kind has ids of every sort: the member's own, another community's, and (signals, messages) hidden.
    assert world.other_signal not in sweeps["signal"][0] and world.hidden_signal not in sweeps["signal"][0]
    assert world.other_digest not in sweeps["digest"][0] and world.draft_digest not in sweeps["digest"][0]
    assert world.other_message not in sweeps["message"][0]
    assert world.other_notification not in sweeps["notification"][0]
    wrong, asked = [], 0
    for kind, (visible, highest, endpoints) in sweeps.items():
        for method, template, api in endpoints:
            reference = _answer(asker, method, template.format(10**9), api)
            assert reference[0] == 404, f"{template}: an id that does not exist answers {reference}"
            for pk in _ids(highest):
                asked += 1
                got = _answer(asker, method, template.format(pk), api)
                if pk in visible and got == reference:
                    wrong.append(f"{kind} {pk} is the member's, yet {template} answers as for no {kind}: {got}")
                elif pk not in visible and got != reference:
                    wrong.append(f"{kind} {pk} is not the member's: {template} answers {got}, not {reference}")
    assert asked > 150
    assert not wrong, "\n".join(wrong)


def _answer(asker: Asker, method: str, path: str, api: bool) -> tuple[int, Any]:
    response = asker.ask(method, path, api=api)
    body = response.json() if api and response.get("Content-Type", "").startswith("application/json") else None  # type: ignore[attr-defined]
    return response.status_code, body


# --- WebSockets -------------------------------------------------------------------------------------------

ORIGIN = (b"origin", b"http://testserver")
SENDS: dict[str, dict[str, Any]] = {
    "message.send": {
        "type": "message.send",
        "body": "Ook in Goirle.",
        "client_id": "6d7c1c0e-3f5b-4c2e-9d1e-2b9a0f1c7e55",
    },
    "typing": {"type": "typing"},
    "sync": {"type": "sync", "after": 0},
    "unknown": {"type": "signal.delete"},
    "ping": {"type": "ping"},
}


async def _connect(path: str, session: str | None) -> tuple[WebsocketCommunicator, str | int]:
    headers = [ORIGIN, (b"host", b"testserver")]
    if session:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    return communicator, ACCEPT if connected else int(code or 1000)


async def _replies(communicator: WebsocketCommunicator, expected: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """What arrives, presence counts aside, with repeats of one event type counted once: waits up to five
    seconds for ``expected`` (if given), then a moment for anything more."""
    got: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        waiting = expected is not None and tuple(got) != expected and loop.time() < deadline
        if await communicator.receive_nothing(timeout=0.5 if waiting else 0.05, interval=0.01):
            if waiting:
                continue
            return tuple(got)
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            return (*got, f"close:{output.get('code', 1000)}")
        event = json.loads(output["text"])
        kind = f"error:{event['code']}" if event["type"] == "error" else event["type"]
        if kind != "presence" and (not got or got[-1] != kind):
            got.append(kind)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_role_gets_the_answer_the_table_names_on_every_socket(
    reference_data: None, _unthrottled: None
) -> None:
    world = await sync_to_async(build_world)()
    targets = {
        "own": world.signal,
        "reported": world.reported_signal,
        "hidden": world.hidden_signal,
        "other": world.other_signal,
    }
    wrong = []
    for role in ROLES:
        session = world.sessions.get(role)
        for route, by_target in WS_CONNECT.items():
            talked = False
            for target, cells in by_target.items():
                path = "/" + route.replace("<int:pk>", str(targets.get(target, 0)))
                communicator, got = await _connect(path, session)
                if got not in cells[role]:
                    wrong.append(
                        f"{path} ({target}) as {role}: {got!r}, the table says {sorted(map(str, cells[role]))}"
                    )
                if got == ACCEPT:
                    if not talked:
                        talked = True
                        await _replies(communicator)  # the greeting (an unread count) and presence
                        for kind, expected in WS_MESSAGES[route].items():
                            if role not in expected:
                                wrong.append(f"{route} {kind} as {role}: accepted, but the table has no cell")
                                continue
                            await communicator.send_json_to(SENDS[kind])
                            reply = await _replies(communicator, expected[role])
                            if reply != expected[role]:
                                wrong.append(f"{route} {kind} as {role}: {reply}, the table says {expected[role]}")
                            if reply and reply[-1].startswith("close:"):
                                break
                    await communicator.disconnect()
    # The consumers' database thread keeps a connection open; close it, or the test database cannot be dropped.
    await sync_to_async(connections.close_all)()
    assert not wrong, "\n".join(wrong)


def test_the_matrix_is_as_big_as_its_docstring_says() -> None:
    assert (HTTP_CELLS, WS_CELLS) == (MATRIX_HTTP_CELLS, MATRIX_WS_CELLS)
