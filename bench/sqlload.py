"""A raw-SQL load generator: ``--clients`` psycopg connections run ``--sql`` for ``--seconds``;
prints one JSON line with the rate and latency percentiles (the baseline of S1s and S2)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import psycopg


async def client(dsn: str, statement: str, deadline: float, latencies: list[float], errors: list[str]) -> None:
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                cursor = await connection.execute(statement.encode())
                if cursor.description:
                    await cursor.fetchall()
            except psycopg.Error as error:
                errors.append(str(error))
                continue
            latencies.append(time.perf_counter() - started)


async def main(dsn: str, statement: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(client(dsn, statement, deadline, latencies, errors) for _ in range(clients)))
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [0.0] * 99
    return {
        "rate": len(latencies) / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p95_ms": cuts[94] * 1000,
        "p99_ms": cuts[98] * 1000,
        "requests": len(latencies),
        "errors": len(errors),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--sql", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.dsn, arguments.sql, arguments.clients, arguments.seconds))))
