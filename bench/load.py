"""Load generators, each a process of its own beside the servers: wrk (Debian's package) for HTTP,
bench.sqlload for raw SQL. Each run also reports what the generator itself cost (CPU seconds per
second), since it shares the machine's two cores with what it measures."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Run:
    rate: float  # requests (or queries) per second
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    errors: int
    generator_cpu: float  # CPU seconds the generator used per second of the run

    def figures(self) -> dict[str, float]:
        return asdict(self)


def median(runs: Sequence[Run]) -> Run:
    """Each figure's median over the repeats."""
    return Run(**{name: statistics.median(getattr(run, name) for run in runs) for name in Run.__dataclass_fields__})


def _timed(command: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """Run ``command``; its standard output, wall seconds and CPU seconds (user + system)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate()
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # cumulative: the caller takes the difference
    if process.returncode != 0:
        output = (stdout + stderr).decode(errors="replace")
        raise RuntimeError(f"{command[0]} failed ({process.returncode}): {output}")
    return stdout.decode(), wall, usage.ru_utime + usage.ru_stime


def _last_json(output: str) -> dict[str, float]:
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            figures: dict[str, float] = json.loads(line)
            return figures
    raise RuntimeError(f"no figures in the generator's output:\n{output}")


def wrk_path() -> str:
    path = shutil.which("wrk")
    if not path:
        raise RuntimeError("the benchmarks need wrk: apt-get install wrk (make bench installs it)")
    return path


def http(
    base: str,
    paths: Sequence[str],
    *,
    connections: int,
    seconds: float,
    methods: Sequence[str] = ("GET",),
    headers: Sequence[str] = (),
    thread_headers: Sequence[Sequence[str]] = (),
) -> Run:
    """wrk against ``base``: ``paths`` in turn over ``connections`` connections for ``seconds``.

    ``thread_headers`` gives each wrk thread (one connection each) its own headers, e.g. its own
    person's token; otherwise every request carries ``headers``."""
    threads = len(thread_headers) or min(connections, 2)
    env = {"BENCH_PATHS": " ".join(paths), "BENCH_METHODS": " ".join(methods), "BENCH_HEADERS": "|".join(headers)}
    for number, own in enumerate(thread_headers, start=1):
        env[f"BENCH_HEADERS_{number}"] = "|".join(own)
    duration = f"{max(1, round(seconds))}s"
    command = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", duration, "--timeout", "10s"]
    before = _cpu()
    output, wall, after = _timed([*command, "-s", str(HERE / "wrk.lua"), base], env)
    figures = _last_json(output)
    errors = sum(int(figures[name]) for name in ("connect_errors", "read_errors", "write_errors", "status_errors"))
    return Run(
        rate=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        requests=int(figures["requests"]),
        errors=errors + int(figures["timeouts"]),
        generator_cpu=(after - before) / wall,
    )


def sql(dsn: str, statement: str, *, clients: int, seconds: float) -> Run:
    """``statement`` run over and over by ``clients`` psycopg connections (bench.sqlload)."""
    command = [sys.executable, "-m", "bench.sqlload", "--dsn", dsn, "--clients", str(clients)]
    before = _cpu()
    output, wall, after = _timed([*command, "--seconds", str(seconds), "--sql", statement], {})
    figures = _last_json(output)
    return Run(**{**figures, "generator_cpu": (after - before) / wall})  # type: ignore[arg-type]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
