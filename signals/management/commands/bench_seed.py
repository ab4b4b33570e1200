import argparse
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm  # type: ignore[import-untyped]

from signals import benchdata


class TqdmProgress:
    """One bar over every row written or updated; the stage names the table at work."""

    def __init__(self, disable: bool) -> None:
        self.bar = tqdm(total=0, unit="rows", unit_scale=True, disable=disable, dynamic_ncols=True)

    def begin(self, total: int) -> None:
        self.bar.reset(total=total)

    def stage(self, name: str) -> None:
        self.bar.set_description(name)

    def advance(self, rows: int) -> None:
        self.bar.update(rows)


class Command(BaseCommand):
    help = (
        "Fill a PostgreSQL database with the benchmark world of issue 13: at --scale 1, 5,000 members of one "
        f"community ({benchdata.COMMUNITY_SLUG}) in the nine municipalities of the region, 100,000 signals, "
        "1,000,000 recognitions, 200,000 messages, about 300 signals awaiting the escalation sweep; plus two "
        "coordinators (TOTP enrolled) and a moderator. Deterministic for a --seed. Everyone signs in with "
        f"the password {benchdata.BENCH_PASSWORD!r} (addresses @{benchdata.EMAIL_DOMAIN}). "
        "Refuses a database that holds signals unless --force, which seeds next to them; it always refuses "
        "a database that already holds bench data (nothing is deleted: drop and create the database instead)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiplies every count (default 1.0); small scales keep at least 100 people, 2,000 signals and "
            "20,000 recognitions.",
        )
        parser.add_argument("--seed", type=int, default=13, help="Seed of the random draws (default 13).")
        parser.add_argument("--force", action="store_true", help="Seed even though the database holds signals.")
        # For the tests: the smallest world with every feature, seeded in a second or two.
        parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            plan = benchdata.Plan.tiny() if options["tiny"] else benchdata.Plan.at_scale(options["scale"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        started = time.monotonic()
        progress = TqdmProgress(disable=options["verbosity"] < 1)
        try:
            summary = benchdata.seed_bench(plan=plan, seed=options["seed"], force=options["force"], progress=progress)
        except benchdata.Refused as refusal:
            raise CommandError(str(refusal)) from refusal
        finally:
            progress.bar.close()
        seeded = time.monotonic()
        benchdata.analyze()
        counts = ", ".join(f"{count:,} {name}" for name, count in summary.rows.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.community.name} in {seeded - started:.0f} s, analysed in "
                f"{time.monotonic() - seeded:.0f} s: {counts}; {summary.candidates} signals await the escalation sweep."
            )
        )
