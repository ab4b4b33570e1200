"""The browser tests' world, built once for this package (per pytest worker) and served by a real uvicorn
that mails through a real SMTP server.

The tests here are not transactional (a transactional test's flush would empty the world for the next
one); the package flushes once at its end, as a transactional test would, and loads the reference data
again for the tests after it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import connection

from tests.inclusion.world import World, build_world, load_reference_data
from tests.servers import Mailbox, app_server, smtp_server, worker_redis_url


@pytest.fixture(scope="package")
def django_access(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Database access outside a test transaction: what the package writes is committed, so the app
    server sees it; everything is flushed when the package ends."""
    from community.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # as embedded mode: nothing left queued for another test's worker
    with django_db_blocker.unblock():
        try:
            yield
        finally:
            call_command("flush", interactive=False, verbosity=0)
            load_reference_data()
            app.conf.task_always_eager = eager


@pytest.fixture(scope="package")
def world(django_access: None) -> World:
    return build_world()


@pytest.fixture(scope="package")
def mail_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server the app server sends to: what it received, and its port."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def inbox(mail_server: tuple[Mailbox, int]) -> Mailbox:
    return mail_server[0]


@pytest.fixture(scope="package")
def live_url(world: World, mail_server: tuple[Mailbox, int]) -> Iterator[str]:
    """One uvicorn serving pages and sockets on this worker's own Redis database, mailing to the package's
    SMTP server."""
    name = connection.settings_dict["NAME"]
    url = worker_redis_url()
    redis.Redis.from_url(url).flushdb()
    env = {
        "DATABASE_URL": f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{name}",
        "REDIS_URL": url,
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_server[1]}",
    }
    with app_server("uvicorn", env) as base:
        yield base
    redis.Redis.from_url(url).flushdb()
