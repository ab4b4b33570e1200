"""`make run` as a newcomer uses it: embedded mode, then full mode behind nginx, on free ports; then Ctrl-C."""

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
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

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
                response = httpx.get(url, timeout=5)
                # In full mode nginx listens first and answers 502 until gunicorn does.
                if response.status_code != 502 or time.monotonic() > deadline:
                    return response
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


def refused_socket_status(url: str, origin: str) -> int | str:
    """How a socket without a session ends: the handshake's HTTP status, or the close code."""
    try:
        with connect(url, origin=origin, open_timeout=10) as socket:
            socket.recv(timeout=10)
    except InvalidStatus as refused:
        return refused.response.status_code
    except ConnectionClosed as closed:
        return f"close {closed.rcvd.code if closed.rcvd else None}"
    raise AssertionError("the socket stayed open without a session")


def test_make_run_starts_the_full_topology_behind_nginx(fresh_database: str, tmp_path: Path) -> None:
    port, ws_port, web_port = free_port(), free_port(), free_port()
    run_tmp = tmp_path / "tmp"  # where run.sh makes nginx's run directory, and must remove it
    run_tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DATABASE_URL=fresh_database,
        WS_PORT=str(ws_port),
        WEB_PORT=str(web_port),
        EMAIL_URL="console:",
        TMPDIR=str(run_tmp),
    )
    run = MakeRun(port, env, tmp_path / "run.log")
    try:
        health = run.wait_for(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200, health.text
        assert health.json() == {"database": True, "cache": True, "channel_layer": True, "broker": True}
        assert health.headers["server"] == "nginx"
        home = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert home.status_code == 200
        assert '<html lang="nl"' in home.text
        assert run.wait_for(f"http://127.0.0.1:{web_port}/healthz").headers["server"].startswith("gunicorn")
        assert run.wait_for(f"http://127.0.0.1:{ws_port}/healthz").headers["server"] == "uvicorn"

        # The page's JavaScript opens its socket at the page's own origin: through nginx, /ws/
        # reaches uvicorn, which refuses a socket without a session (gunicorn would answer 404).
        with psycopg.connect(fresh_database) as conn:
            row = conn.execute("SELECT min(id) FROM signals_signal").fetchone()
        assert row is not None and row[0] is not None
        socket_url = f"ws://127.0.0.1:{port}/ws/signals/{row[0]}/"
        assert refused_socket_status(socket_url, origin=f"http://127.0.0.1:{port}") in {403, "close 4401"}

        deadline = time.monotonic() + 60
        while not (replies := app.control.ping(timeout=1.0)) and time.monotonic() < deadline:
            pass
        assert any(name.startswith("celery@") for reply in replies for name in reply)
    finally:
        output = run.ctrl_c()
    assert f"http://127.0.0.1:{port}" in output
    for role in ("proxy", "web", "ws", "worker", "beat"):
        assert f"{role}.1 started" in output and f"{role}.1 stopped" in output
    assert not list(run_tmp.glob("knooppunt-run.*")), "the run directory outlives make run"
