"""ws/notifications/: the person's own notifications and unread count, live, in every tab and across processes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from websockets.asyncio.client import connect as ws_connect

from community.asgi import application
from community.models import User
from notifications.models import Kind, Notification
from notifications.services import notifications_read_all
from tests.factories import session_key
from tests.notifications.conftest import Tell
from tests.servers import app_process

pytestmark = pytest.mark.django_db(transaction=True)
HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def open_socket(user: User | None) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = list(HEADERS)
    if user is not None:
        headers.append((b"cookie", f"sessionid={await sync_to_async(session_key)(user)}".encode()))
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


@pytest.mark.asyncio
async def test_anonymous_people_are_refused() -> None:
    _socket, connected, code = await open_socket(None)
    assert not connected and code == 4401


@pytest.mark.asyncio
async def test_every_tab_gets_each_new_notification_and_the_unread_count(
    tell: Tell, bob: User, alice: User, dilara: User
) -> None:
    await database_sync_to_async(User.objects.filter(pk=bob.pk).update)(preferred_language="en")
    bob = await database_sync_to_async(User.objects.get)(pk=bob.pk)
    one, ok_one, _ = await open_socket(bob)
    two, ok_two, _ = await open_socket(bob)
    other, ok_other, _ = await open_socket(dilara)
    assert ok_one and ok_two and ok_other
    for socket in (one, two, other):
        assert (await socket.receive_json_from(timeout=5))["unread"] == 0
    await database_sync_to_async(tell)([bob], kind=Kind.MENTION, actor=alice)
    for socket in (one, two):
        event = await socket.receive_json_from(timeout=5)
        assert event["type"] == "notification.new"
        assert event["unread"] == 1 and event["unread_text"] == "1 unread"
        assert event["notification"]["text"] == "Alice Coordinator mentioned you on “Wachtlijst voor taalles”"
        assert event["notification"]["url"] == "/things/1/"
        assert 'id="notification-' in event["notification"]["html"]
        json.dumps(event)  # a plain JSON round trip
    assert await other.receive_nothing(timeout=0.3)  # someone else's notifications never reach me

    # Read in one tab (or anywhere): every tab hears the new count.
    await database_sync_to_async(notifications_read_all)(user=bob)
    for socket in (one, two):
        event = await socket.receive_json_from(timeout=5)
        assert event == {"type": "notification.unread", "unread": 0, "unread_text": "0 unread"}
    await one.send_json_to({"type": "nonsense"})
    assert (await one.receive_json_from(timeout=5))["code"] == "bad_type"
    for socket in (one, two, other):
        await socket.disconnect()


@pytest.mark.asyncio
async def test_signing_out_closes_the_notification_socket(bob: User) -> None:
    from community.realtime import session_ended

    socket, connected, _ = await open_socket(bob)
    assert connected
    await socket.receive_json_from(timeout=5)
    await database_sync_to_async(session_ended)(user_id=bob.pk)
    output = await socket.receive_output(timeout=5)
    assert output["type"] == "websocket.close" and output["code"] == 4401


def test_a_message_posted_in_one_process_reaches_the_bell_in_another(
    worker_redis_env: dict[str, str], reference_data: None, bob: User, alice: User, community: Any
) -> None:
    """Bob's bell is open on one uvicorn; Alice writes on his signal through another: Redis carries it."""
    from community.models import Municipality, Region
    from signals.models import Theme
    from signals.services import signal_create

    community.region = Region.objects.get(slug="hart-van-brabant")
    community.save()
    signal = signal_create(
        actor=bob, community=community, title="Geen plek op taalles", description="Wachtlijst van een jaar.",
        theme=Theme.objects.get(slug="education"), municipality=Municipality.objects.get(cbs_code="GM0855"),
    )  # fmt: skip
    bob_cookie, alice_cookie = f"sessionid={session_key(bob)}", f"sessionid={session_key(alice)}"

    async def scenario(url_a: str, url_b: str) -> dict[str, Any]:
        bell = await ws_connect(
            url_a.replace("http", "ws") + "/ws/notifications/", origin=url_a,  # type: ignore[arg-type]
            additional_headers={"Cookie": bob_cookie}, open_timeout=10,
        )  # fmt: skip
        assert json.loads(await bell.recv())["unread"] == 0
        writer = await ws_connect(
            url_b.replace("http", "ws") + f"/ws/signals/{signal.pk}/", origin=url_b,  # type: ignore[arg-type]
            additional_headers={"Cookie": alice_cookie}, open_timeout=10,
        )  # fmt: skip
        started = time.perf_counter()
        await writer.send(
            json.dumps({"type": "message.send", "body": "Ook in Tilburg", "client_id": str(uuid.uuid4())})
        )
        event = json.loads(await asyncio.wait_for(bell.recv(), timeout=10))
        event["latency"] = time.perf_counter() - started
        await writer.close()
        await bell.close()
        return event

    with (
        app_process("uvicorn", worker_redis_env) as (url_a, _a),
        app_process("uvicorn", worker_redis_env) as (url_b, _b),
    ):
        event = asyncio.run(scenario(url_a, url_b))
    assert event["type"] == "notification.new" and event["unread"] == 1
    assert event["notification"]["kind"] == "message"
    assert event["notification"]["url"].startswith(f"/signals/{signal.pk}/?upto=")
    assert Notification.objects.get(recipient=bob).kind == Kind.MESSAGE
