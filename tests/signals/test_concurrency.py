"""Counters stay exact with many people recognising at once, on PostgreSQL, each in their own connection."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from community.models import User
from signals.models import Recognition, Signal
from signals.services import recognition_add, recognition_withdraw
from tests.signals.conftest import MakeMember

pytestmark = pytest.mark.django_db(transaction=True)

CODES = ["GM0855", "GM0766", "GM0784", "GM0785", "GM0797", "GM0798", "GM0809", "GM0824", "GM0867"]


def in_own_connection(work: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        finally:
            connection.close()  # this thread's connection, back to the pool

    return run


def parallel(jobs: list[Callable[[], None]], workers: int) -> None:
    # With a job per worker, all start together; with more jobs, the pool keeps `workers` of them in flight.
    start = threading.Barrier(len(jobs)) if len(jobs) <= workers else None

    def wrapped(job: Callable[[], None]) -> None:
        if start is not None:
            start.wait(timeout=30)
        in_own_connection(job)()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(wrapped, job) for job in jobs]:
            future.result()


def expected(signal: Signal) -> tuple[int, int, int]:
    rows = Recognition.objects.filter(signal=signal)
    return (
        rows.count(),
        rows.values("municipality").distinct().count(),
        rows.exclude(organisation=None).values("organisation").distinct().count(),
    )


def counters(signal: Signal) -> tuple[int, int, int]:
    signal.refresh_from_db()
    return signal.recognition_count, signal.municipality_count, signal.organisation_count


def test_fifty_people_recognising_at_once_are_all_counted(signal: Signal, make_member: MakeMember) -> None:
    people: list[User] = [make_member(CODES[n % len(CODES)], organisation=f"Organisatie {n % 7}") for n in range(50)]
    parallel([lambda p=p: recognition_add(actor=p, signal=signal) for p in people], workers=50)  # type: ignore[misc]
    assert counters(signal) == (51, 9, 8) == expected(signal)


def test_recognising_and_withdrawing_interleaved_keep_the_counts_exact(signal: Signal, make_member: MakeMember) -> None:
    people = [make_member(CODES[n % len(CODES)], organisation=f"Organisatie {n % 5}") for n in range(20)]
    rng = random.Random(7)
    jobs: list[Callable[[], None]] = []
    for person in people:
        for step in range(rng.randint(2, 5)):
            action = recognition_add if step % 2 == 0 else recognition_withdraw

            def job(action: Callable[..., object] = action, person: User = person) -> None:
                try:
                    action(actor=person, signal=signal)
                except Exception as error:  # already recognised / not recognised: the race lost fairly
                    if getattr(error, "code", None) not in {"already_recognised", "not_recognised"}:
                        raise

            jobs.append(job)
    rng.shuffle(jobs)
    parallel(jobs, workers=16)
    assert counters(signal) == expected(signal)
    assert Recognition.objects.filter(signal=signal).count() >= 1
