"""A deleted account's open sockets close at once, through the real ASGI application and the Redis layer."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing.websocket import WebsocketCommunicator

from community.asgi import application
from community.erasure import account_erase
from community.models import User
from community.realtime import CLOSE_NOT_SIGNED_IN
from signals.consumers import CLOSE_NOT_YOURS
from signals.models import Signal
from tests.factories import session_key
from tests.signals.conftest import MakeMember, community, housing, make_member, reporter, signal  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]
HEADERS = [(b"origin", b"http://testserver"), (b"host", b"testserver")]


async def opened(path: str, user: User) -> WebsocketCommunicator:
    cookie = (b"cookie", f"sessionid={await sync_to_async(session_key)(user)}".encode())
    communicator = WebsocketCommunicator(application, path, headers=[*HEADERS, cookie])
    connected, _code = await communicator.connect(timeout=10)
    assert connected
    return communicator


async def close_code(communicator: WebsocketCommunicator) -> int:
    while True:
        output: dict[str, Any] = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return int(output.get("code", 1000))


@pytest.mark.asyncio
async def test_sockets_close_when_the_account_is_deleted(signal: Signal, make_member: MakeMember) -> None:  # noqa: F811
    person = await sync_to_async(make_member)("GM0766")
    discussion = await opened(f"/ws/signals/{signal.pk}/", person)
    bell = await opened("/ws/notifications/", person)
    await sync_to_async(account_erase)(actor=person, user=person, reason="requested by the person")
    # The membership's removal (access.changed: 4404) or the end of the session (4401), whichever comes first.
    assert await close_code(discussion) in {CLOSE_NOT_YOURS, CLOSE_NOT_SIGNED_IN}
    assert await close_code(bell) == CLOSE_NOT_SIGNED_IN
    await discussion.disconnect()
    await bell.disconnect()
