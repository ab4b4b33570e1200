"""Mail from the community domain: rendered now in the reader's language, sent after commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def mail_after_commit(*, to: Sequence[str], template: str, context: dict[str, Any], language: str) -> None:
    """Render ``<template>_subject.txt`` and ``<template>.txt`` and send them once the transaction commits.

    One message per recipient, so recipients never see each other's address.
    A mail server failure is logged, not raised: the change it reports has
    already been committed and must not look failed to the person who made it.
    """
    if not to:
        return
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}.txt", context)
    recipients = list(to)

    def send() -> None:
        subject_line = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject
        try:
            with get_connection() as connection:
                connection.send_messages([EmailMessage(subject_line, body, None, [to]) for to in recipients])
        except Exception:  # the outbox of the notifications work will retry; here we can only log
            logger.exception("could not send %s to %d recipient(s)", template, len(recipients))

    transaction.on_commit(send)
