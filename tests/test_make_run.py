"""`make run` as a newcomer uses it: embedded mode on a free port, then Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from community.celery import app
from tests.servers import ROOT, free_port


class MakeRun:
    """`make run` in its own process group, its output in a file."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["make", "--no-print-directory", "run", f"PORT={port}"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_for(self, url: str, seconds: float = 90) -> httpx.Response:
        deadline = time.monotonic() + seconds
        while True:
            try:
                return httpx.get(url, timeout=5)
            except httpx.TransportError:
                if self.process.poll() is not None:
                    raise AssertionError(self.log.read_text()) from None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def ctrl_c(self) -> str:
        """SIGINT to the whole process group, as a terminal's Ctrl-C sends it; then the output."""
        os.killpg(self.process.pid, signal.SIGINT)
        self.process.wait(timeout=30)
        return self.log.read_text()


def test_make_run_serves_home_and_healthz_in_embedded_mode_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", EMAIL_URL="console:")
    run = MakeRun(port, env, tmp_path / "run.log")
    try:
        home = run.wait_for(f"http://127.0.0.1:{port}/")
        assert home.status_code == 200
        assert '<html lang="nl"' in home.text
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json() == {"database": True, "cache": True, "channel_layer": True, "broker": True}
    finally:
        output = run.ctrl_c()
    assert "marieke@knooppunt.test" in output and "TOTP secret:" in output
    assert f"http://127.0.0.1:{port}" in output


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own, as a newcomer's would be."""
    name = f"knooppunt_run_{uuid.uuid4().hex[:10]}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_make_run_starts_the_full_topology_with_redis_and_postgres(fresh_database: str, tmp_path: Path) -> None:
    port, ws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DATABASE_URL=fresh_database, WS_PORT=str(ws_port), EMAIL_URL="console:")
    run = MakeRun(port, env, tmp_path / "run.log")
    try:
        pages = run.wait_for(f"http://127.0.0.1:{port}/healthz")
        sockets = run.wait_for(f"http://127.0.0.1:{ws_port}/healthz")
        assert pages.status_code == sockets.status_code == 200
        assert pages.headers["server"].startswith("gunicorn")
        assert sockets.headers["server"] == "uvicorn"
        deadline = time.monotonic() + 60
        while not (replies := app.control.ping(timeout=1.0)) and time.monotonic() < deadline:
            pass
        assert any(name.startswith("celery@") for reply in replies for name in reply)
    finally:
        output = run.ctrl_c()
    for role in ("web", "ws", "worker", "beat"):
        assert f"{role}.1 started" in output and f"{role}.1 stopped" in output
