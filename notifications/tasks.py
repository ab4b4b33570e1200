"""Celery tasks: thin, safe to run twice (rows are claimed before they are mailed)."""

from __future__ import annotations

from celery import shared_task

from notifications import mailing
from notifications.models import Frequency


@shared_task(name="notifications.mail_due", ignore_result=True)
def notifications_mail_due(recipient_ids: list[int] | None = None) -> int:
    """After commit for the people concerned, and every minute on beat for anything left behind."""
    return mailing.mail_due(recipient_ids=recipient_ids)


@shared_task(name="notifications.mail_summaries", ignore_result=True)
def notifications_mail_summaries(frequency: str) -> int:
    """On beat: the daily summaries each morning, the weekly ones on Monday morning."""
    return mailing.summaries_send(Frequency(frequency))
