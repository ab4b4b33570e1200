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


def start_make_run(port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for(url: str, process: subprocess.Popen[str], seconds: float = 90) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "make run exited") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def ctrl_c(process: subprocess.Popen[str]) -> str:
    """Send SIGINT to the whole process group, as a terminal's Ctrl-C does; return the output."""
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


def test_make_run_serves_home_and_healthz_in_embedded_mode_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", EMAIL_URL="console:")
    process = start_make_run(port, env)
    try:
        home = wait_for(f"http://127.0.0.1:{port}/", process)
        assert home.status_code == 200
        assert '<html lang="nl"' in home.text
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json() == {"database": True, "cache": True, "channel_layer": True, "broker": True}
    finally:
        output = ctrl_c(process)
    assert process.returncode is not None
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


def test_make_run_starts_the_full_topology_with_redis_and_postgres(fresh_database: str) -> None:
    port, ws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(DATABASE_URL=fresh_database, WS_PORT=str(ws_port), EMAIL_URL="console:")
    process = start_make_run(port, env)
    try:
        pages = wait_for(f"http://127.0.0.1:{port}/healthz", process)
        sockets = wait_for(f"http://127.0.0.1:{ws_port}/healthz", process)
        assert pages.status_code == sockets.status_code == 200
        assert pages.headers["server"].startswith("gunicorn")
        assert sockets.headers["server"] == "uvicorn"
        deadline = time.monotonic() + 60
        while not (replies := app.control.ping(timeout=1.0)) and time.monotonic() < deadline:
            pass
        assert any(name.startswith("celery@") for reply in replies for name in reply)
    finally:
        output = ctrl_c(process)
    for role in ("web", "ws", "worker", "beat"):
        assert f"{role}.1 started" in output and f"{role}.1 stopped" in output
