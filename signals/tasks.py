"""Celery tasks of the escalation pipeline: ids in, a domain function, quiet when the row is gone.

Both are safe to run twice or concurrently (``signals.escalation``); with
``acks_late`` a task whose worker died is delivered again and simply finds
the work done. A database that is briefly away is retried with exponential
back-off; the sweep on beat catches whatever is still left after that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, transaction

from signals import checkbacks, digests, escalation, outbox

# A database that is briefly away: retried after ~5, 10, 20 … s (jittered, at most 300 s), six times.
DATABASE_AWAY = (OperationalError, InterfaceError)

P = ParamSpec("P")
R = TypeVar("R")


def retried_task(name: str) -> Callable[[Callable[P, R]], Task[P, R]]:
    """A task under ``name`` whose result nobody reads, retried with back-off while the database is away."""
    return shared_task(
        name=name,
        ignore_result=True,
        autoretry_for=DATABASE_AWAY,
        retry_backoff=5,
        retry_backoff_max=300,
        retry_jitter=True,
        max_retries=6,
    )


@retried_task("signals.evaluate")
def signal_evaluate(signal_id: int) -> bool:
    """After a recognition (or a merge) is committed: escalate this one signal if it now meets the rule."""
    decision = escalation.signal_evaluate(signal_id)
    return bool(decision and decision.escalated)


@retried_task("signals.escalation_sweep")
def escalation_sweep(community_id: int | None = None) -> int:
    """On beat (every 15 minutes by default), and after a community changes its rule."""
    return escalation.escalation_sweep(community_id)


@retried_task("digests.compile_due")
def digests_compile_due() -> int:
    """On beat every 5 minutes: the drafts of the slots that are due (once per community and slot)."""
    return len(digests.digests_compile_due())


@retried_task("digests.send")
def digest_send(digest_id: int) -> int:
    """After approval: mail each pending delivery of the digest (claimed one by one, at most once each)."""
    return outbox.digest_send(digest_id)


@shared_task(name="digests.outbox_sweep", ignore_result=True)
def digests_outbox_sweep() -> int:
    """On beat every 2 minutes: deliveries due for another try, interrupted ones marked uncertain."""
    due = outbox.outbox_sweep()
    for digest_id in due:
        digest_send.delay(digest_id)
    return len(due)


@retried_task("checkbacks.due")
def checkbacks_due() -> int:
    """On beat every hour: ask the check-backs that are due (each once) and mail the questions not mailed yet."""
    return checkbacks.checkbacks_ask_due()


def evaluate_after_commit(signal_id: int) -> None:
    """Have the rule look at the signal once its new figures are committed (a worker reads them in its
    own transaction). If the broker cannot be reached, the sweep on beat evaluates it instead."""
    transaction.on_commit(lambda: signal_evaluate.delay(signal_id), robust=True)
