"""Celery tasks of the community app: the daily retention job."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from community.retention import retention_enforce


@shared_task(
    name="privacy.retention",
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=6,
    soft_time_limit=240,
    time_limit=300,
)
def privacy_retention() -> dict[str, int]:
    """On beat daily (migration community/0010): remove what has outlived the privacy statement's periods.
    Safe to run twice or at once: each purge deletes or rewrites only what is still due."""
    return retention_enforce()
