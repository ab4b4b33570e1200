"""Private servers for the fault tests (``make test-faults``): a PostgreSQL cluster and a Redis of their own.

The fault tests stop, kill and restart the services under the app, so they never use the shared
PostgreSQL on 5432 or Redis on 6379: each test gets a Redis on a free port, and a database of its own
in a PostgreSQL cluster this pytest process started (initdb'd and migrated once per session, then
copied per test from a template database, which takes a fraction of a second).

This process's Django connection points at the test's private database for the test's duration, so
factories and the ORM seed and inspect the same rows the server processes serve; no test here uses
pytest-django's ``db`` fixture (that would open a transaction on the shared server's test database).
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from community.models import Community, Municipality, Organisation, OrganisationKind, Region, User
from signals.models import Signal, Theme
from signals.services import signal_create
from tests.factories import CommunityFactory, MembershipFactory, UserFactory
from tests.servers import ROOT, closed_port_url, free_port, private_redis, publishing_to

PG_BIN = Path("/usr/lib/postgresql/15/bin")
TEMPLATE = "knooppunt_faults_template"


def _as_postgres(*command: str) -> None:
    """PostgreSQL refuses to run as root: its tools run as the postgres user, in a folder it owns."""
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster of this pytest process alone, so a test may stop and start it at will."""

    folder: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.folder / "server.log")
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: the server ends every session, as when a database host goes down."""
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def execute(self, statement: sql.Composable) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """Started once per pytest process, with the project's schema and reference rows in a template database."""
    folder = Path(tempfile.mkdtemp(prefix="knooppunt-pg-"))
    shutil.chown(folder, "postgres", "postgres")
    cluster = PrivatePostgres(folder, free_port())
    _as_postgres(str(PG_BIN / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", "postgres", "--no-sync")
    cluster.start()
    try:
        cluster.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        # migrate needs no Redis; a closed port makes sure nothing reaches the shared one.
        env = {**os.environ, "DATABASE_URL": cluster.url(TEMPLATE), "REDIS_URL": closed_port_url("redis")}
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield cluster
    finally:
        if cluster.running:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_redis_url() -> Iterator[str]:
    """A redis-server of this test's own (tests.servers.private_redis: memory only, a free port)."""
    with private_redis() as (port, _process):
        yield f"redis://127.0.0.1:{port}/0"


@dataclass
class Stack:
    """What a fault test's server processes share: their environment, and the services behind it."""

    postgres: PrivatePostgres
    redis_url: str
    database: str
    env: dict[str, str] = field(default_factory=dict)


def _point_default_connection(settings_dict: dict[str, Any]) -> None:
    """Close this process's connection (and its pool, which remembers where it connects) and aim it anew."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.close_pool()
    connection.settings_dict.clear()
    connection.settings_dict.update(settings_dict)


@pytest.fixture
def stack(
    private_postgres: PrivatePostgres, private_redis_url: str, django_db_blocker: Any, settings: Any
) -> Iterator[Stack]:
    """A private database (a copy of the migrated template) and Redis for this test's processes and for
    this process: its ORM, cache, channel layer and published tasks all go there."""
    from django.db import connections

    if not private_postgres.running:  # a test before this one failed with the cluster stopped
        private_postgres.start()
    database = f"faults_{uuid.uuid4().hex[:12]}"
    private_postgres.execute(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(database), sql.Identifier(TEMPLATE))
    )
    env = {"DATABASE_URL": private_postgres.url(database), "REDIS_URL": private_redis_url}
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["LOCATION"] = private_redis_url
    settings.CACHES = caches
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    # The servers' own prefix (community/settings.py): what this process publishes, their sockets hear.
    layers["default"]["CONFIG"].update(hosts=[private_redis_url], prefix="knooppunt0")
    settings.CHANNEL_LAYERS = layers
    saved = copy.deepcopy(connections["default"].settings_dict)
    private = {**saved, "NAME": database, "HOST": "127.0.0.1", "PORT": private_postgres.port}
    private["USER"], private["PASSWORD"] = "postgres", ""
    # No pool in this process: a stopped server must not leave it holding dead connections.
    private["OPTIONS"] = {"connect_timeout": 5}
    with django_db_blocker.unblock(), publishing_to(private_redis_url):
        _point_default_connection(private)
        try:
            yield Stack(private_postgres, private_redis_url, database, env)
        finally:
            _point_default_connection(saved)
    if not private_postgres.running:
        private_postgres.start()
    private_postgres.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(database)))


def recognisers(community: Community, codes: list[str]) -> list[User]:
    """A member of ``community`` for each CBS code, living there, each with an organisation of their own."""
    people = []
    for code in codes:
        organisation = Organisation.objects.create(
            name=f"Organisatie {code} {uuid.uuid4().hex[:6]}", kind=OrganisationKind.VLUCHTELINGENWERK
        )
        person = UserFactory(organisation=organisation)
        person.municipalities.set([Municipality.objects.get(cbs_code=code)])
        MembershipFactory(user=person, community=community)
        people.append(person)
    return people


def discussion(people: int) -> tuple[Signal, list[User]]:
    """A signal of a community in the reference region, and ``people`` members who may discuss it."""
    community = CommunityFactory(region=Region.objects.get(slug="hart-van-brabant"))
    tilburg = Municipality.objects.get(cbs_code="GM0855")
    members = []
    for _ in range(people + 1):
        person = UserFactory()
        person.municipalities.set([tilburg])
        MembershipFactory(user=person, community=community)
        members.append(person)
    signal = signal_create(
        actor=members[0], community=community, title="Wachtlijst inburgering",
        description="Nieuwkomers wachten maanden op een plek bij een taalschool.",
        theme=Theme.objects.get(slug="housing"), municipality=tilburg,
    )  # fmt: skip
    return signal, members[1:]
