"""Start the real app servers (gunicorn for pages, uvicorn for sockets) as child processes."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_port_url(scheme: str) -> str:
    """A URL on loopback where nothing listens: the port was free a moment ago."""
    return f"{scheme}://127.0.0.1:{free_port()}/0"


def command_for(kind: Literal["gunicorn", "uvicorn"], port: int) -> list[str]:
    if kind == "gunicorn":
        return [str(BIN / "gunicorn"), "community.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    return [
        str(BIN / "uvicorn"),
        "community.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--ws-max-size",
        "65536",
        "--log-level",
        "warning",
    ]


@contextmanager
def _child(command: list[str], env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Run ``command`` from the project root; its output goes to a file (a pipe nobody reads fills up)."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "output.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT
            )
        try:
            yield process, log
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, name: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not listen on port {port} within 30 s") from None
            time.sleep(0.1)


@contextmanager
def app_process(
    kind: Literal["gunicorn", "uvicorn"], env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve the project on a free loopback port; yield its base URL and process; stop it afterwards."""
    port = free_port()
    with _child(command_for(kind, port), env) as (process, log):
        _wait_for_port(port, process, log, kind)
        yield f"http://127.0.0.1:{port}", process


@contextmanager
def app_server(kind: Literal["gunicorn", "uvicorn"], env: dict[str, str]) -> Iterator[str]:
    """Serve the project on a free loopback port; yield its base URL; stop it afterwards."""
    with app_process(kind, env) as (url, _process):
        yield url


@contextmanager
def private_redis(port: int | None = None) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """A Redis of the test's own (never the shared one): memory only, on a free port; yields port and process."""
    port = port or free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with _child(command, {}) as (process, log):
        _wait_for_port(port, process, log, "redis-server")
        yield port, process


def worker_redis_url() -> str:
    """A Redis database number of this pytest worker's own (10 + its index) for app server processes:
    parallel workers have their own PostgreSQL databases, so their ids repeat, and must not hear each other."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return f"redis://127.0.0.1:6379/{10 + int(worker.removeprefix('gw')) % 6}"


@dataclass
class Worker:
    node: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def succeeded(self, task: str) -> int:
        """How many runs of ``task`` this worker finished."""
        return len(re.findall(rf"Task {re.escape(task)}\[[0-9a-f-]+\] succeeded", self.output()))


@contextmanager
def celery_worker(env: dict[str, str], name: str) -> Iterator[Worker]:
    """A real Celery worker process (solo pool: the task runs in this one process) on the broker of
    ``env`` (its REDIS_URL, else the suite's); yields once it consumes, stops it afterwards."""
    node = f"{name}@localhost"
    command = [str(BIN / "celery"), "--app", "community", "worker", "--pool", "solo", "--hostname", node]
    # No gossip, mingle or heartbeat: workers of parallel tests must not talk to each other.
    quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"]
    with _child([*command, *quiet], env) as (process, log):
        worker = Worker(node, process, log)
        deadline = time.monotonic() + 30
        while " ready." not in worker.output():
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited with {process.returncode}:\n{worker.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker was not ready within 30 s:\n{worker.output()}")
            time.sleep(0.1)
        yield worker


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """This process's tasks (``.delay`` after a commit) go to ``broker_url``, as an app server's would:
    to the broker of the test's own workers, not the suite's, which no worker of this test reads."""
    from kombu import pools

    from community.celery import app

    def reconnect(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None  # the connection and producer pools were made for the old URL
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    reconnect(broker_url)
    try:
        yield
    finally:
        pools.reset()  # closes this test's broker connections; the next publish opens new ones
        reconnect(before)


@dataclass
class Mailbox:
    """What the SMTP server accepted; ``refuse`` holds addresses it answers 550 for (a hard failure),
    ``hang_up`` those whose message it keeps but then drops the connection instead of answering."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    hang_up: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        if self.hang_up.intersection(envelope.rcpt_tos):
            # The server keeps the message but the line drops before it says so: the sender cannot know.
            server.transport.close()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.received if address in recipients]

    def code_sent_to(self, address: str) -> str:
        """The one-time code in the latest mail to ``address`` (allauth's: a line of its own, ``LKLG-NVMN``)."""
        body = self.to(address)[-1].get_body(("plain",))
        assert body is not None
        match = re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\s*$", body.get_content(), re.MULTILINE)
        assert match, body.get_content()
        return match.group(1)


@contextmanager
def smtp_server(mailbox: Mailbox | None = None) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port; yields what it received and its port."""
    from aiosmtpd.controller import Controller

    mailbox = mailbox or Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()


def wait_until(done: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``done`` every 50 ms; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.05)
