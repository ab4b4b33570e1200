"""Who is on a page right now ("4 people here"), right across server processes.

Each open socket holds one entry, ``<user id>:<channel name>``, in a sorted set
per room, scored by the moment it expires. The socket refreshes its entry on a
heartbeat and removes it when it closes; a process that dies without closing
its sockets leaves entries that simply run out: no ghosts after the expiry.
Counting drops the expired entries first and counts people, not tabs.

The sets live where the channel layer lives: in Redis (with the layer's
prefix, so the test suite and ``make run`` never count each other) when the
layer is channels-redis's, in this process's memory with the in-memory layer
of embedded mode (one process, so memory is the whole truth there).
Presence is a hint: when Redis is away, the count is unknown (``None``) and
the socket carries on.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Protocol

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
EXPIRY_SECONDS = 15.0


class Presence(Protocol):
    async def enter(self, room: str, user_id: int, channel: str) -> int | None:
        """Add (or refresh) this socket; the number of people in the room."""

    async def leave(self, room: str, user_id: int, channel: str) -> int | None:
        """Remove this socket; the number of people left."""

    async def count(self, room: str) -> int | None:
        """The number of people in the room now."""


def _people(members: list[str] | list[bytes]) -> int:
    return len({(m.decode() if isinstance(m, bytes) else m).split(":", 1)[0] for m in members})


# One client (with its connection pool) per event loop and Redis address: a heartbeat reuses a connection
# instead of opening one (with its handshake) for every socket every few seconds, which cost half the
# socket server's CPU at a few hundred sockets (docs/performance.md). A pool belongs to the loop that
# made it: a loop that ends takes its clients with it.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, aioredis.Redis[bytes]]] = (
    weakref.WeakKeyDictionary()
)


def _client(url: str) -> aioredis.Redis[bytes]:
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(url)
    if client is None:
        client = per_loop[url] = aioredis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    return client


class RedisPresence:
    def __init__(self, url: str, prefix: str) -> None:
        self.url, self.prefix = url, prefix

    def key(self, room: str) -> str:
        return f"{self.prefix}:presence:{room}"

    async def _apply(self, room: str, member: str | None, *, present: bool) -> int | None:
        """Add (``present``) or remove ``member``, or neither when it is None; then count."""
        now = time.time()
        key = self.key(room)
        try:
            pipe = _client(self.url).pipeline(transaction=True)
            pipe.zremrangebyscore(key, "-inf", now)
            if member is not None and present:
                pipe.zadd(key, {member: now + EXPIRY_SECONDS})
                pipe.expire(key, int(EXPIRY_SECONDS) * 2)
            elif member is not None:
                pipe.zrem(key, member)
            pipe.zrange(key, 0, -1)
            *_, members = await pipe.execute()
        except (RedisError, OSError) as error:
            logger.warning("presence unavailable for %s: %s", room, error)
            return None
        return _people(members)

    async def enter(self, room: str, user_id: int, channel: str) -> int | None:
        return await self._apply(room, f"{user_id}:{channel}", present=True)

    async def leave(self, room: str, user_id: int, channel: str) -> int | None:
        return await self._apply(room, f"{user_id}:{channel}", present=False)

    async def count(self, room: str) -> int | None:
        return await self._apply(room, None, present=False)


class MemoryPresence:
    """Embedded mode: one process holds every socket, so its memory is the truth."""

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, float]] = {}

    def _apply(self, room: str, member: str | None, *, present: bool) -> int:
        now = time.time()
        entries = {m: until for m, until in self.rooms.get(room, {}).items() if until > now}
        if member is not None and present:
            entries[member] = now + EXPIRY_SECONDS
        elif member is not None:
            entries.pop(member, None)
        if entries:
            self.rooms[room] = entries
        else:
            self.rooms.pop(room, None)
        return _people(list(entries))

    async def enter(self, room: str, user_id: int, channel: str) -> int | None:
        return self._apply(room, f"{user_id}:{channel}", present=True)

    async def leave(self, room: str, user_id: int, channel: str) -> int | None:
        return self._apply(room, f"{user_id}:{channel}", present=False)

    async def count(self, room: str) -> int | None:
        return self._apply(room, None, present=False)


_memory = MemoryPresence()


def presence() -> Presence:
    """The presence store beside the default channel layer (read from settings each time: tests change them)."""
    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"].startswith("channels_redis."):
        config = layer.get("CONFIG", {})
        host = config["hosts"][0]
        return RedisPresence(host if isinstance(host, str) else host["address"], config.get("prefix", "asgi"))
    return _memory
