"""Readiness checks behind ``/healthz``: each answers True when its service responds."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import psycopg
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2


def database_ok() -> bool:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return bool(cursor.fetchone() == (1,))
    # A connection of its own with a short timeout: waiting on the pool for an
    # unreachable server would hold the answer for the pool's whole timeout.
    params = {**connection.get_connection_params(), "connect_timeout": TIMEOUT_SECONDS}
    with psycopg.connect(**params) as conn:
        return bool(conn.execute("SELECT 1").fetchone() == (1,))


def cache_ok() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    try:
        return bool(cache.get(key) == "ok")
    finally:
        cache.delete(key)


def channel_layer_ok() -> bool:
    """The Redis behind the channel layer answers; the in-memory layer always does.

    A ping rather than a send/receive round trip: this view may run under
    ASGI, where a round trip would share (and could disturb) the server's own
    layer connections.
    """
    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"] == "channels.layers.InMemoryChannelLayer":
        return True
    for host in layer["CONFIG"]["hosts"]:
        address = host if isinstance(host, str) else host["address"]
        client = redis.Redis.from_url(address, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
        try:
            if not client.ping():
                return False
        finally:
            client.close()
    return True


def broker_ok() -> bool:
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT_SECONDS)
        return bool(conn.connected)


CHECKS: dict[str, Callable[[], bool]] = {
    "database": database_ok,
    "cache": cache_ok,
    "channel_layer": channel_layer_ok,
    "broker": broker_ok,
}


def run_checks() -> dict[str, bool]:
    results: dict[str, bool] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception:  # any failure means "down"; the log says why
            logger.warning("health check %s failed", name, exc_info=True)
            results[name] = False
    return results
