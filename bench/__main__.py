"""`python -m bench [--quick] [--only S1,S2] [--repeats 3] [--seconds 10] [--reuse-data]`

Starts the production topology on loopback against a database of its own (knooppunt_bench), seeds it
(manage.py bench_seed), runs the scenarios, writes bench/results/<timestamp>.json and regenerates
docs/benchmarks.md (a full run only; a quick run writes docs/benchmarks-quick.md beside it)."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime

from bench import report, topology
from tests.servers import smtp_server

QUICK = {"scale": 0.02, "seconds": 3.0, "repeats": 1}
FULL = {"scale": 1.0, "seconds": 15.0, "repeats": 3}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data, short measurements (a smoke run)")
    parser.add_argument("--only", default="", help="comma-separated scenario ids, e.g. S1,S3")
    parser.add_argument("--repeats", type=int, help="repeats of each measurement (3; a quick run 1)")
    parser.add_argument("--seconds", type=float, help="length of each measurement")
    parser.add_argument("--scale", type=float, help="data scale for bench_seed (1.0: 100,000 signals)")
    parser.add_argument("--reuse-data", action="store_true", help="keep the last run's data if seeded at this scale")
    arguments = parser.parse_args()
    preset = QUICK if arguments.quick else FULL
    scale = arguments.scale or preset["scale"]
    seconds = arguments.seconds or preset["seconds"]
    repeats = arguments.repeats or int(preset["repeats"])
    for noisy in ("mail.log", "weasyprint", "fontTools"):  # the SMTP sink's every command, each PDF page
        logging.getLogger(noisy).setLevel(logging.WARNING)

    started = time.monotonic()
    with smtp_server() as (mailbox, smtp_port):
        env = topology.environment(smtp_port)
        os.environ.update(env)
        import django

        django.setup()
        from bench.context import Context
        from bench.scenarios import SCENARIOS

        wanted = [name.strip() for name in arguments.only.split(",") if name.strip()] or list(SCENARIOS)
        unknown = set(wanted) - set(SCENARIOS)
        if unknown:
            parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}; known: {', '.join(SCENARIOS)}")

        print(f"bench: preparing the data (scale {scale})", flush=True)
        topology.manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        seeded_at = time.monotonic()
        seeded = topology.database_prepare(env, scale=scale, reuse=arguments.reuse_data)
        seed_seconds = time.monotonic() - seeded_at
        data = _data_summary(seeded, seed_seconds)
        print(f"bench: {data}", flush=True)

        rows: list[report.Row] = []
        failed: list[str] = []
        with topology.app_processes(env) as top:
            context = Context(top, arguments.quick, seconds, repeats, mailbox)
            for name in wanted:
                print(f"bench: {name}", flush=True)
                try:
                    found = SCENARIOS[name](context)
                except Exception:  # one broken scenario must not lose the others' figures
                    traceback.print_exc()
                    failed.append(name)
                    found = [report.Row(name, "did not complete", {}, note=traceback.format_exc(limit=1).strip())]
                for row in found:
                    print(f"  {row.measure}: {row.figures} / {row.baseline_figures} ratio {row.ratio} met {row.met}")
                rows += found
        result = {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": arguments.quick,
            "scale": scale,
            "seconds": seconds,
            "repeats": repeats,
            "data": data,
            "machine": report.machine(env["DATABASE_URL"], env["REDIS_URL"]),
        }
        result["duration_s"] = time.monotonic() - started
        path = report.write(result, rows)
        result = {**result, "file": path.name, "rows": [dataclasses.asdict(row) for row in rows]}
        document = report.DOC if not arguments.quick else report.DOC.with_name("benchmarks-quick.md")
        document.write_text(report.markdown(result))
        print(f"bench: wrote {path.relative_to(report.ROOT)} and {document.relative_to(report.ROOT)}")
    return 1 if failed else 0


def _data_summary(seeded: bool, seconds: float) -> str:
    from community.models import User
    from signals.models import Message, Recognition, Signal

    counts = (
        f"{Signal.objects.count():,} signals, {Recognition.objects.count():,} recognitions, "
        f"{Message.objects.count():,} messages, {User.objects.count():,} people"
    )
    return f"{counts} ({'seeded in ' + format(seconds, '.0f') + ' s' if seeded else 'reused from the last run'})"


if __name__ == "__main__":
    sys.exit(main())
