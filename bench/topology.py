"""The production topology on loopback: gunicorn for pages, uvicorn for sockets, a Celery worker,
with the shared PostgreSQL (a database of the benchmarks' own) and Redis (a database number of its own).

The app processes are started with the Procfile's own command lines, so the benchmark measures the
configuration production runs (gunicorn's two workers, uvicorn's frame limit, the worker's concurrency).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.servers import _child, _wait_for_port, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DATABASE = "knooppunt_bench"
REDIS_DB = 8  # make run uses 0, the test suite 9 to 15
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def environment(smtp_port: int) -> dict[str, str]:
    """What every process of the benchmark sees: production settings (DEBUG off) on loopback."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "False",
        "SECRET_KEY": "benchmark-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "CSRF_TRUSTED_ORIGINS": "http://127.0.0.1,http://localhost",
        "SITE_URL": "http://127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DEFAULT_FROM_EMAIL": "Knooppunt <noreply@knooppunt.test>",
        "TRUSTED_PROXY_COUNT": "0",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
    }


def procfile() -> dict[str, str]:
    """The Procfile's command lines by name."""
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            commands[name.strip()] = command.strip()
    return commands


def manage(env: dict[str, str], *arguments: str) -> None:
    subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT, env={**os.environ, **env}, check=True)


def database_prepare(env: dict[str, str], *, scale: float, reuse: bool) -> bool:
    """An empty benchmark database, migrated and seeded at ``scale`` (or the last run's, when ``reuse``
    and it was seeded at the same scale); True when it was seeded now."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if exists and reuse and _seeded_scale(env) == scale:
            return False
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "bench_seed", "--scale", str(scale), "--seed", "1")
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        comment = sql.SQL("COMMENT ON DATABASE {} IS {}").format(
            sql.Identifier(DATABASE), sql.Literal(f"scale={scale}")
        )
        connection.execute(comment)
    return True


def _seeded_scale(env: dict[str, str]) -> float | None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        row = connection.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [DATABASE]
        ).fetchone()
    comment = row[0] if row else None
    return float(comment.removeprefix("scale=")) if comment and comment.startswith("scale=") else None


@dataclass
class Topology:
    env: dict[str, str]
    web: str  # gunicorn, the pages
    asgi: str  # uvicorn, the sockets (it serves pages too: S7)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def ws(self) -> str:
        return self.asgi.replace("http://", "ws://")

    def pid(self, name: str) -> int:
        return self.processes[name].pid


@contextmanager
def app_processes(env: dict[str, str], names: tuple[str, ...] = ("web", "ws", "worker")) -> Iterator[Topology]:
    """Start the Procfile's ``names`` on free loopback ports; stop them afterwards."""
    ports = {"WEB_PORT": str(free_port()), "WS_PORT": str(free_port())}
    topology = Topology(env, f"http://127.0.0.1:{ports['WEB_PORT']}", f"http://127.0.0.1:{ports['WS_PORT']}")
    commands = procfile()
    with ExitStack() as stack:
        for name in names:
            command = ["bash", "-c", f"exec {commands[name]}"]
            process, log = stack.enter_context(_child(command, {**env, **ports}))
            topology.processes[name], topology.logs[name] = process, log
        for name, port in (("web", ports["WEB_PORT"]), ("ws", ports["WS_PORT"])):
            if name in names:
                _wait_for_port(int(port), topology.processes[name], topology.logs[name], name)
        if "worker" in names:
            _wait_for_log(topology, "worker", " ready.")
        yield topology


def _wait_for_log(topology: Topology, name: str, text: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in topology.logs[name].read_text(errors="replace"):
        if topology.processes[name].poll() is not None:
            raise RuntimeError(f"{name} exited:\n{topology.logs[name].read_text(errors='replace')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not log {text!r} within {timeout} s")
        time.sleep(0.2)


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn's and Celery's workers), in KiB."""
    total = 0
    for process in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total


def _descendants(pid: int) -> list[int]:
    result = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if Path(f"/proc/{pid}").exists() else []:
        result += [int(child), *_descendants(int(child))]
    return result
