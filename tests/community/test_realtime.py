"""The outbox between a consumer and its client: in order, never waiting, bounded for a client that stops reading.

The same through real uvicorn and a real frozen client: tests/faults/test_slow_reader.py.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.exceptions import StopConsumer

from community import realtime
from community.realtime import OUTBOX_FRAMES, Outbox


def frame(number: int) -> dict[str, Any]:
    return {"type": "websocket.send", "text": str(number)}


@pytest.mark.asyncio
async def test_frames_reach_the_client_in_order_and_the_last_ones_go_out_when_the_consumer_ends() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        await asyncio.sleep(0)  # a client that reads, a little later
        sent.append(message)

    outbox = Outbox(send)
    for number in range(OUTBOX_FRAMES - 1):  # in one go, never yielding: the outbox is full then
        await outbox.put(frame(number))
    await outbox.put({"type": "websocket.close", "code": 4401})
    await outbox.close()
    assert sent == [*(frame(number) for number in range(OUTBOX_FRAMES - 1)), {"type": "websocket.close", "code": 4401}]


@pytest.mark.asyncio
async def test_a_burst_longer_than_the_outbox_waits_for_room_when_the_client_asked_for_it() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        await asyncio.sleep(0)
        sent.append(message)

    events = Outbox(send)
    with pytest.raises(StopConsumer):  # an event burst, not waited for
        for number in range(OUTBOX_FRAMES + 1):
            await events.put(frame(number))
    await events.close()
    sent.clear()

    replay = Outbox(send)
    replay.patient = True
    for number in range(3 * OUTBOX_FRAMES):
        await replay.put(frame(number))
    await replay.close()
    assert sent == [frame(number) for number in range(3 * OUTBOX_FRAMES)]


@pytest.mark.asyncio
async def test_a_burst_to_a_client_that_stopped_reading_gives_up_after_the_send_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(realtime, "SEND_TIMEOUT_SECONDS", 0.05)

    async def send(message: dict[str, Any]) -> None:
        await asyncio.sleep(10)

    outbox = Outbox(send)
    outbox.patient = True
    with pytest.raises(StopConsumer):
        for number in range(OUTBOX_FRAMES + 2):
            await outbox.put(frame(number))
    await asyncio.wait_for(outbox.close(), timeout=1)


@pytest.mark.asyncio
async def test_a_client_that_stops_reading_is_let_go_once_its_outbox_is_full() -> None:
    taken: list[dict[str, Any]] = []
    never = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        taken.append(message)
        await never.wait()  # the first frame is never written: the client reads nothing

    outbox = Outbox(send)
    await outbox.put(frame(0))
    await asyncio.sleep(0)  # the pump has taken it and waits on the client
    for number in range(1, OUTBOX_FRAMES + 1):
        await outbox.put(frame(number))  # the handler never waits
    with pytest.raises(StopConsumer):
        await outbox.put(frame(OUTBOX_FRAMES + 1))
    with pytest.raises(StopConsumer):  # and stays let go
        await outbox.put(frame(OUTBOX_FRAMES + 2))
    await asyncio.wait_for(outbox.close(), timeout=1)  # a stalled client is not waited for
    assert taken == [frame(0)]
    assert outbox.frames.qsize() <= OUTBOX_FRAMES


@pytest.mark.asyncio
async def test_a_client_that_takes_no_frame_for_the_send_timeout_is_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(realtime, "SEND_TIMEOUT_SECONDS", 0.05)

    async def send(message: dict[str, Any]) -> None:
        await asyncio.sleep(10)

    outbox = Outbox(send)
    await outbox.put(frame(0))
    await asyncio.sleep(0.2)
    with pytest.raises(StopConsumer):
        await outbox.put(frame(1))
    await asyncio.wait_for(outbox.close(), timeout=1)


@pytest.mark.asyncio
async def test_a_client_that_has_gone_is_let_go() -> None:
    async def send(message: dict[str, Any]) -> None:
        raise OSError("the client has gone")

    outbox = Outbox(send)
    await outbox.put(frame(0))
    await asyncio.sleep(0)
    with pytest.raises(StopConsumer):
        await outbox.put(frame(1))
    await outbox.close()


@pytest.mark.asyncio
async def test_an_unexpected_error_in_sending_surfaces_when_the_consumer_ends() -> None:
    async def send(message: dict[str, Any]) -> None:
        raise RuntimeError("Unexpected ASGI message 'websocket.send', after sending 'websocket.close'")

    outbox = Outbox(send)
    await outbox.put(frame(0))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="after sending"):
        await outbox.close()
