"""`make run` as a newcomer uses it: embedded mode on a free port, then Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.servers import ROOT, free_port


def test_make_run_serves_home_and_healthz_in_embedded_mode_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "DEBUG", "SECRET_KEY"}}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'run.sqlite3'}", EMAIL_URL="console:")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        home = None
        while time.monotonic() < deadline:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.5)
        assert home is not None and home.status_code == 200
        assert '<html lang="nl"' in home.text
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json() == {"database": True, "cache": True, "channel_layer": True, "broker": True}
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends to the terminal's process group
        output, _ = process.communicate(timeout=30)
    assert process.returncode is not None
    assert "marieke@knooppunt.test" in output and "TOTP secret:" in output
    assert f"http://127.0.0.1:{port}" in output
