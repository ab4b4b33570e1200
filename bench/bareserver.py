"""The baseline of the live scenarios: a bare ``websockets`` broadcast server speaking just enough of the
CONTRACT.md protocol for bench.wsclient: ``message.send`` is numbered and broadcast to the signal's
room as ``message.new`` (a frame the size of the product's), ``sync`` replays from memory, anything
else is answered with an ``error``. No sign-in, no database, no Redis: what a socket server costs
when it does nothing else. ``python -m bench.bareserver --port P``
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[str, set[ServerConnection]] = defaultdict(set)
history: dict[str, list[dict[str, Any]]] = defaultdict(list)
counter = 0

# The product's server-rendered fragment is about this long; the bare frame carries as many bytes.
FRAGMENT = '<article class="message" id="message-{id}" lang="nl"><header><span class="author">Lid 12</span>'
FRAGMENT += '<time datetime="{created}">zojuist</time></header><div class="body">{body}</div></article>'
FRAGMENT += " " * 200


def message(body: str, client_id: Any) -> dict[str, Any]:
    global counter
    counter += 1
    created = datetime.now(UTC).isoformat()
    body_html = f"<p>{html.escape(body)}</p>"
    return {
        "id": counter,
        "author": {"label": "Lid 12", "kind": "professional"},
        "body_html": body_html,
        "html": FRAGMENT.format(id=counter, created=created, body=body_html),
        "lang": "nl",
        "created": created,
        "client_id": client_id,
    }


async def handler(connection: ServerConnection) -> None:
    room = connection.request.path if connection.request else "/"
    rooms[room].add(connection)
    try:
        async for frame in connection:
            try:
                event = json.loads(frame)
            except ValueError:
                await connection.send(json.dumps({"type": "error", "code": "bad_json"}))
                continue
            kind = event.get("type") if isinstance(event, dict) else None
            if kind == "message.send":
                new = message(str(event.get("body", "")), event.get("client_id"))
                history[room].append(new)
                broadcast(rooms[room], json.dumps({"type": "message.new", "message": new}))
            elif kind == "sync":
                after = event.get("after", 0)
                for old in history[room]:
                    if old["id"] > after:
                        await connection.send(json.dumps({"type": "message.new", "message": old}))
            else:
                await connection.send(json.dumps({"type": "error", "code": "bad_type"}))
    finally:
        rooms[room].discard(connection)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_size=65536, ping_interval=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
