"""The WebSocket protocol of ws/signals/<id>/, through the real ASGI application and the Redis layer."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.test import Client

from community.asgi import application
from community.memberships import membership_remove
from community.models import Membership, Role, User
from signals.models import Message, Signal
from tests.signals.conftest import MakeMember

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
ORIGIN = (b"origin", b"http://testserver")


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def connect(
    signal_id: int, user: User | None = None, origin: tuple[bytes, bytes] = ORIGIN
) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = [origin, (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", await sync_to_async(session_cookie)(user)))
    communicator = WebsocketCommunicator(application, f"/ws/signals/{signal_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def receive(communicator: WebsocketCommunicator) -> dict[str, Any]:
    return await communicator.receive_json_from(timeout=5)


@pytest.mark.asyncio
async def test_a_member_sends_and_everyone_on_the_signal_receives(signal: Signal, make_member: MakeMember) -> None:
    alice, bob = await sync_to_async(make_member)("GM0766"), await sync_to_async(make_member)("GM0785")
    one, ok_one, _ = await connect(signal.pk, alice)
    two, ok_two, _ = await connect(signal.pk, bob)
    assert ok_one and ok_two
    client_id = str(uuid.uuid4())
    await one.send_json_to({"type": "message.send", "body": "Ook in **Dongen**", "client_id": client_id})
    for communicator in (one, two):
        event = await receive(communicator)
        assert event["type"] == "message.new"
        assert event["message"]["body_html"] == "<p>Ook in <strong>Dongen</strong></p>"
        assert event["message"]["client_id"] == client_id
    assert await sync_to_async(Message.objects.filter(signal=signal).count)() == 1
    # A retry with the same client id: the first message again, to the sender only, nothing new stored.
    await one.send_json_to({"type": "message.send", "body": "Ook in **Dongen**", "client_id": client_id})
    again = await receive(one)
    assert again["message"]["id"] == event["message"]["id"]
    assert await two.receive_nothing(timeout=0.5)
    assert await sync_to_async(Message.objects.filter(signal=signal).count)() == 1
    await one.disconnect()
    await two.disconnect()


@pytest.mark.asyncio
async def test_sync_replays_what_came_after_an_id(signal: Signal, make_member: MakeMember) -> None:
    member = await sync_to_async(make_member)("GM0766")
    socket, connected, _ = await connect(signal.pk, member)
    assert connected
    for text in ("een", "twee", "drie"):
        await socket.send_json_to({"type": "message.send", "body": text, "client_id": str(uuid.uuid4())})
        await receive(socket)
    first = await sync_to_async(lambda: Message.objects.filter(signal=signal).order_by("pk").first().pk)()  # type: ignore[union-attr]
    await socket.send_json_to({"type": "sync", "after": first})
    replayed = [await receive(socket), await receive(socket)]
    assert [e["message"]["body_html"] for e in replayed] == ["<p>twee</p>", "<p>drie</p>"]
    await socket.send_json_to({"type": "sync", "after": "x"})
    assert (await receive(socket))["code"] == "bad_input"
    await socket.disconnect()


@pytest.mark.asyncio
async def test_typing_reaches_the_others_not_the_typist_and_is_throttled(
    signal: Signal, make_member: MakeMember
) -> None:
    typist = await sync_to_async(make_member)("GM0766", display_name="Noor")
    other = await sync_to_async(make_member)("GM0785")
    one, _, _ = await connect(signal.pk, typist)
    two, _, _ = await connect(signal.pk, other)
    await one.send_json_to({"type": "typing"})
    await one.send_json_to({"type": "typing"})  # within the throttle: dropped
    assert await receive(two) == {"type": "typing", "name": "Noor"}
    assert await two.receive_nothing(timeout=0.5)
    assert await one.receive_nothing(timeout=0.2)
    await one.disconnect()
    await two.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message.send", "body": "x" * 4001, "client_id": str(uuid.uuid4())}, "too_long"),
        ({"type": "message.send", "body": "  "}, "empty"),
        ({"type": "message.send", "body": "hoi", "client_id": "not-a-uuid"}, "bad_input"),
        ({"type": "message.send", "body": "Bel 06-12345678"}, "personal_data"),
        ({"type": "dance"}, "bad_type"),
        (["not", "an", "object"], "bad_type"),
    ],
)
async def test_bad_frames_get_an_error_and_the_socket_stays_open(
    signal: Signal, make_member: MakeMember, frame: Any, code: str
) -> None:
    socket, connected, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    assert connected
    await socket.send_json_to(frame)
    error = await receive(socket)
    assert (error["type"], error["code"]) == ("error", code)
    await socket.send_json_to({"type": "message.send", "body": "Nog open", "client_id": str(uuid.uuid4())})
    assert (await receive(socket))["type"] == "message.new"
    await socket.disconnect()


@pytest.mark.asyncio
async def test_sending_too_fast_is_refused_with_an_error(signal: Signal, make_member: MakeMember) -> None:
    socket, _, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    codes = []
    for number in range(7):
        await socket.send_json_to({"type": "message.send", "body": f"m{number}", "client_id": str(uuid.uuid4())})
        event = await receive(socket)
        codes.append(event.get("code", event["type"]))
    assert codes == ["message.new"] * 5 + ["too_fast"] * 2
    await socket.disconnect()


@pytest.mark.asyncio
@pytest.mark.parametrize("who", ["anonymous", "outsider", "liaison", "other_origin"])
async def test_sockets_are_refused_before_joining(signal: Signal, make_member: MakeMember, who: str) -> None:
    from tests.factories import UserFactory

    user = None
    origin = ORIGIN
    if who == "outsider":
        user = await sync_to_async(UserFactory)()
    elif who == "liaison":
        user = await sync_to_async(make_member)(role=Role.LIAISON)  # the signal is not reported
    elif who == "other_origin":
        user = await sync_to_async(make_member)()
        origin = (b"origin", b"https://evil.example")
    socket, connected, _code = await connect(signal.pk, user, origin)
    assert not connected
    await socket.disconnect()


@pytest.mark.asyncio
async def test_removal_from_the_community_closes_the_socket(
    signal: Signal, make_member: MakeMember, alice: User
) -> None:
    member = await sync_to_async(make_member)("GM0766")
    socket, connected, _ = await connect(signal.pk, member)
    assert connected
    await sync_to_async(lambda: membership_remove(actor=alice, membership=Membership.objects.get(user=member)))()
    output = await socket.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4404}


@pytest.mark.asyncio
async def test_signing_out_closes_the_socket(signal: Signal, make_member: MakeMember) -> None:
    member = await sync_to_async(make_member)("GM0766")
    socket, connected, _ = await connect(signal.pk, member)
    assert connected

    def sign_out() -> None:
        client = Client()
        client.force_login(member)
        client.post("/accounts/logout/")

    await sync_to_async(sign_out)()
    output = await socket.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4401}
    await asyncio.sleep(0)
