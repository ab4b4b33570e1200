# ruff: noqa: F811  (the signal fixtures are imported, as in tests/api/conftest.py)
"""Bad frames on ws/signals/<id>/ through the real ASGI application: each is answered with
``{"type": "error", "code": …}`` and the socket stays open (CONTRACT.md, WebSocket protocol).

97 fuzz cases: 60 bad frames on one socket (invalid JSON, JSON that is not an object, unknown
types, wrong field types, binary frames, an over-long body), 5 hostile bodies, 2 huge ``after`` ids and a flood of 30
messages (5 pass, 25 are ``too_fast``). The 1009 close for frames over 64 KiB is tests/signals/test_consumer.py's.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from signals.models import Message, Signal
from tests.signals.conftest import MakeMember, community, housing, make_member, reporter, signal  # noqa: F401
from tests.signals.test_consumer import connect, receive

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def send(body: Any = "Hallo", **fields: Any) -> str:
    return json.dumps({"type": "message.send", "body": body, "client_id": str(uuid.uuid4()), **fields})


NOT_JSON = ["{not json", "", "{", '"unterminated', "[1, 2", "\x00", "{'type': 'typing'}", "undefined"]
NOT_AN_OBJECT = ["[]", '["message.send"]', '"typing"', "7", "null", "true", "1.5", "NaN", "Infinity"]
UNKNOWN_TYPES = [{}, {"type": "dance"}, {"type": None}, {"type": 7}, {"type": ["message.send"]},
                 {"type": {"a": 1}}, {"type": "MESSAGE.SEND"}, {"type": "message_new"}, {"type": "presence.changed"},
                 {"type": "websocket.disconnect"}, {"type": "typing\u200b"}, {"type": "\u202etyping"}]  # fmt: skip
EMPTY_BODIES = [None, 7, 1.5, True, [], ["Hallo"], {"text": "Hallo"}, "", "   ", "\n\t"]
BAD_CLIENT_IDS = ["not-a-uuid", "", 7, [], {"id": 1}, True, "z" * 32]
BAD_AFTERS = ["x", "1", -1, 1.5, None, True, [], {}, 1e400]
FLOOD = 30
TOO_LONG = ["x" * 4001, "😀" * 4001, "\u200b" * 4001]

CASES: list[tuple[dict[str, Any], str]] = [
    *[({"text": text}, "bad_json") for text in NOT_JSON],
    *[({"text": text}, "bad_type") for text in NOT_AN_OBJECT],
    *[({"text": json.dumps(frame)}, "bad_type") for frame in UNKNOWN_TYPES],
    *[({"text": send(body)}, "empty") for body in EMPTY_BODIES],
    *[({"text": send(client_id=client_id)}, "bad_input") for client_id in BAD_CLIENT_IDS],
    *[({"text": json.dumps({"type": "sync", "after": after})}, "bad_input") for after in BAD_AFTERS],
    *[({"text": send(body)}, "too_long") for body in TOO_LONG],
    ({"bytes": b"\x00\x01binary"}, "bad_input"),
    ({"bytes": b'{"type": "typing"}'}, "bad_input"),
]


@pytest.mark.asyncio
async def test_bad_frames_each_get_an_error_and_the_socket_stays_open(signal: Signal, make_member: MakeMember) -> None:
    socket, connected, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    assert connected
    answers = []
    for frame, _code in CASES:
        await socket.send_input({"type": "websocket.receive", **frame})  # not send_to: it refuses an empty frame
        event = await receive(socket)
        answers.append((event["type"], event.get("code")))
    assert answers == [("error", code) for _frame, code in CASES]
    await socket.send_to(text_data=send("Nog open"))
    assert (await receive(socket))["type"] == "message.new"
    assert len(CASES) == 60
    await socket.disconnect()


@pytest.mark.asyncio
async def test_hostile_bodies_are_stored_without_nul_or_refused(signal: Signal, make_member: MakeMember) -> None:
    socket, connected, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    assert connected
    # A JSON "\ud800" decodes to a lone surrogate, which PostgreSQL cannot take: refused, not a crash.
    await socket.send_to(text_data=send("eenzaam \ud800"))
    assert ((event := await receive(socket))["type"], event["code"]) == ("error", "invalid")
    stored = []
    for body in ("hallo\x00wereld", "\u202egnilaad\u2069 \u2066x\u2069", "\u200b😀 ж ا 中 👩‍👩‍👧", "**<b>vet</b>**"):
        await socket.send_to(text_data=send(body))
        event = await receive(socket)
        assert event["type"] == "message.new", event
        stored.append(await sync_to_async(lambda pk=event["message"]["id"]: Message.objects.get(pk=pk).body)())
    assert stored[0] == "hallowereld"
    assert "<b>" not in json.dumps(event["message"]["body_html"])
    for huge in (2**63, 10**30):  # past PostgreSQL's bigint: nothing comes after it, and no crash
        await socket.send_json_to({"type": "sync", "after": huge})
    await socket.send_json_to({"type": "sync", "after": 0})  # still open
    assert (await receive(socket))["type"] == "message.new"
    await socket.disconnect()


@pytest.mark.asyncio
async def test_a_flood_is_throttled_and_the_socket_stays_open(signal: Signal, make_member: MakeMember) -> None:
    socket, connected, _ = await connect(signal.pk, await sync_to_async(make_member)("GM0766"))
    assert connected
    for number in range(FLOOD):
        await socket.send_to(text_data=send(f"vloed {number}"))
    answers = [(await receive(socket)).get("code", "message.new") for _ in range(FLOOD)]
    assert sorted(answers) == ["message.new"] * 5 + ["too_fast"] * (FLOOD - 5)
    await socket.send_json_to({"type": "sync", "after": 0})  # still open: the five stored messages again
    replayed = [(await receive(socket))["type"] for _ in range(5)]
    assert replayed == ["message.new"] * 5
    await socket.disconnect()
