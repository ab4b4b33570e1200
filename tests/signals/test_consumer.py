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
from community.realtime import OUTBOX_FRAMES
from signals.models import Message, Signal
from tests.factories import session_key
from tests.signals.conftest import MakeMember

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
ORIGIN = (b"origin", b"http://testserver")


async def connect(
    signal_id: int, user: User | None = None, origin: tuple[bytes, bytes] = ORIGIN
) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = [origin, (b"host", b"testserver")]
    if user is not None:
        headers.append((b"cookie", f"sessionid={await sync_to_async(session_key)(user)}".encode()))
    communicator = WebsocketCommunicator(application, f"/ws/signals/{signal_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


async def receive(communicator: WebsocketCommunicator, *, skip: tuple[str, ...] = ("presence",)) -> dict[str, Any]:
    """The next event that is not of a ``skip`` type (presence counts arrive whenever someone comes or goes)."""
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] not in skip:
            return event


async def close_code(communicator: WebsocketCommunicator) -> int:
    """The code the server closes the socket with (skipping the events before it)."""
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


async def nothing_but_presence(communicator: WebsocketCommunicator, timeout: float) -> bool:
    """True when no event other than a presence count arrives within ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        if await communicator.receive_nothing(timeout=min(left, 0.1)):
            continue
        if (await communicator.receive_json_from())["type"] != "presence":
            return False
    return True


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
    assert await nothing_but_presence(two, 0.5)
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
    assert await nothing_but_presence(two, 0.5)
    assert await nothing_but_presence(one, 0.2)
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
    assert await close_code(socket) == 4404


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
    assert await close_code(socket) == 4401
    await asyncio.sleep(0)


async def presence_reaches(communicator: WebsocketCommunicator, count: int) -> dict[str, Any]:
    """The presence event with ``count`` (events of comings and goings may arrive in any order; 5 s at most)."""
    async with asyncio.timeout(5):
        while True:
            event = await next_of(communicator, "presence")
            if event["count"] == count:
                return event


async def next_of(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next event of ``kind``, skipping any others."""
    while True:
        event = await communicator.receive_json_from(timeout=5)
        if event["type"] == kind:
            return event


@pytest.mark.asyncio
async def test_presence_counts_people_not_tabs_across_comings_and_goings(
    signal: Signal, make_member: MakeMember
) -> None:
    noor, yonas = await sync_to_async(make_member)("GM0766"), await sync_to_async(make_member)("GM0785")
    first, _, _ = await connect(signal.pk, noor)
    assert await presence_reaches(first, 1) == {"type": "presence", "count": 1, "text": "1 persoon hier"}
    second_tab, _, _ = await connect(signal.pk, noor)
    await presence_reaches(second_tab, 1)  # the same person in a second tab is still one person
    other, _, _ = await connect(signal.pk, yonas)
    for socket in (other, first, second_tab):
        assert (await presence_reaches(socket, 2))["text"] == "2 mensen hier"
    await other.disconnect()
    await presence_reaches(first, 1)
    await first.disconnect()
    await second_tab.disconnect()


@pytest.mark.asyncio
async def test_a_replay_longer_than_the_outbox_arrives_whole_and_in_order(
    signal: Signal, make_member: MakeMember
) -> None:
    """A sync after a long absence sends more frames at once than wait for a client (``OUTBOX_FRAMES``):
    the replay waits for room, where an event burst that size would let the client go."""
    member = await sync_to_async(make_member)("GM0766")
    count = OUTBOX_FRAMES * 2 + 7
    await sync_to_async(Message.objects.bulk_create)(
        Message(signal=signal, author=member, body=f"bericht {number}") for number in range(count)
    )
    socket, connected, _ = await connect(signal.pk, member)
    assert connected
    await socket.send_json_to({"type": "sync", "after": 0})
    replayed = [(await receive(socket))["message"]["body_html"] for _ in range(count)]
    assert replayed == [f"<p>bericht {number}</p>" for number in range(count)]
    await socket.send_json_to({"type": "sync", "after": 0})  # still open, and again
    assert (await receive(socket))["message"]["body_html"] == "<p>bericht 0</p>"
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_frame_over_64_kib_closes_the_socket_with_1009(signal: Signal, make_member: MakeMember) -> None:
    socket, connected, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    assert connected
    await socket.send_to(text_data='{"type": "message.send", "body": "' + "x" * 65_536 + '"}')
    assert await close_code(socket) == 1009
    assert await sync_to_async(Message.objects.count)() == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("frame", "code"),
    [({"text_data": "{not json"}, "bad_json"), ({"bytes_data": b"\x00\x01binary"}, "bad_input")],
)
async def test_frames_that_are_not_json_text_get_an_error(
    signal: Signal, make_member: MakeMember, frame: dict[str, Any], code: str
) -> None:
    socket, _, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    await socket.send_to(**frame)
    assert (await next_of(socket, "error"))["code"] == code
    await socket.send_json_to({"type": "sync", "after": 0})  # still open
    await socket.send_json_to({"type": "typing"})
    assert await nothing_but_presence(socket, 0.3)
    await socket.disconnect()


@pytest.mark.asyncio
async def test_recognitions_and_status_changes_reach_the_page_as_fragments(
    signal: Signal, make_member: MakeMember
) -> None:
    from signals.services import recognition_add
    from signals.workflow import signal_transition

    watcher = await sync_to_async(make_member)("GM0766")
    recogniser = await sync_to_async(make_member)("GM0785", organisation="COA Gilze")
    socket, _, _ = await connect(signal.pk, watcher)
    await sync_to_async(lambda: recognition_add(actor=recogniser, signal=signal))()
    event = await next_of(socket, "recognitions")
    assert (event["count"], event["municipalities"], event["organisations"]) == (2, 2, 2)
    assert event["progress"].startswith("Herkend door 2 mensen in 2 gemeenten")
    assert event["progress"] in event["html"] and "Goirle: 1" in event["html"]

    coordinator = await sync_to_async(make_member)("GM0855", role=Role.COORDINATOR)
    await sync_to_async(
        lambda: signal_transition(actor=coordinator, signal=signal, to="resolved_locally", lesson="Samen opgelost.")
    )()
    status = await next_of(socket, "status")
    assert (status["status"], status["label"]) == ("resolved_locally", "Lokaal opgelost")
    assert "status-resolved_locally" in status["html"] and "Lokaal opgelost" in status["timeline"]
    await socket.disconnect()


@pytest.mark.asyncio
async def test_an_edit_reaches_everyone_as_an_update(signal: Signal, make_member: MakeMember) -> None:
    from signals.discussion import message_edit

    author, reader = await sync_to_async(make_member)("GM0766"), await sync_to_async(make_member)("GM0785")
    one, _, _ = await connect(signal.pk, author)
    two, _, _ = await connect(signal.pk, reader)
    await one.send_json_to({"type": "message.send", "body": "Eerste versie", "client_id": str(uuid.uuid4())})
    sent = (await next_of(two, "message.new"))["message"]
    message = await sync_to_async(Message.objects.get)(pk=sent["id"])
    await sync_to_async(lambda: message_edit(actor=author, message=message, body="Tweede versie"))()
    updated = (await next_of(two, "message.updated"))["message"]
    assert updated["id"] == sent["id"] and "Tweede versie" in updated["html"] and "gewijzigd" in updated["html"]
    await one.disconnect()
    await two.disconnect()
