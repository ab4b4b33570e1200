"""Knooppunt's mail, built in one place: invitations, notifications, summaries, digests, check-backs.

``mail_compose`` renders three templates (``<name>_subject.txt``, ``<name>.txt``
and, where it exists, ``<name>.html``) in the reader's language, and adds the
one-click unsubscribe headers of RFC 8058 when it is given a link.
``mails_send`` sends a batch over one connection, one message at a time, so
one address that fails does not stop the others, and says how each went.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def mail_compose(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    unsubscribe_url: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """One message to one address: subject, plain text and (if the template exists) HTML, in ``language``."""
    context = {**context, "site_url": settings.SITE_URL, "unsubscribe_url": unsubscribe_url, "language": language}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context)
        try:
            html: str | None = render_to_string(f"{template}.html", context)
        except TemplateDoesNotExist:
            html = None
    all_headers = {"Content-Language": language, **(headers or {})}
    if unsubscribe_url:
        # RFC 8058: mail programs show an "unsubscribe" button that POSTs to this link, without a session.
        all_headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        all_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, text, None, [to], headers=all_headers
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


@dataclass(frozen=True)
class Outcome:
    """How sending one message went. ``hard``: the address itself was refused (SMTP 5xx). ``unknown``: the
    connection broke (or anything else went wrong) while the message was being handed over, so the server
    may have accepted it; a sender that must never send twice treats it as perhaps sent."""

    message: EmailMultiAlternatives
    sent: bool
    hard: bool = False
    error: str = ""
    unknown: bool = False


def _outcome(message: EmailMultiAlternatives, error: BaseException, *, handing_over: bool = False) -> Outcome:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        return Outcome(message, sent=False, hard=all(code >= 500 for code in codes), error=str(error.recipients))
    if isinstance(error, smtplib.SMTPResponseException):  # the server answered no: it did not take it
        detail = f"{error.smtp_code} {error.smtp_error!r}"
        return Outcome(message, sent=False, hard=error.smtp_code >= 500, error=detail)
    return Outcome(message, sent=False, error=f"{type(error).__name__}: {error}", unknown=handing_over)


def mails_send(messages: Sequence[EmailMultiAlternatives]) -> list[Outcome]:
    """Send each message; one refused address or broken message does not stop the rest.

    A connection that cannot be opened at all fails every message softly (to be tried again).
    """
    if not messages:
        return []
    outcomes: list[Outcome] = []
    try:
        connection = get_connection()
        connection.open()
    except Exception as error:  # the mail server is away: nothing was sent, everything may be retried
        logger.warning("mail server unavailable: %s", error)
        return [_outcome(message, error) for message in messages]
    try:
        for message in messages:
            message.connection = connection
            try:
                message.send()
            except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
                outcomes.append(_outcome(message, error, handing_over=True))
                connection.close()  # the next message gets a fresh connection
                connection.open()
            except Exception as error:
                logger.warning("could not send %r to %s: %s", message.subject, message.to, error)
                outcomes.append(_outcome(message, error, handing_over=True))
            else:
                outcomes.append(Outcome(message, sent=True))
    except Exception as error:  # reconnecting failed: what is left was not sent
        done = {id(outcome.message) for outcome in outcomes}
        outcomes += [_outcome(message, error) for message in messages if id(message) not in done]
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection: nothing left to do
            connection.close()
    return outcomes


def mail_after_commit(*, to: Sequence[str], template: str, context: dict[str, Any], language: str) -> None:
    """Compose one message per recipient now (recipients never see each other's address), send after commit.

    A mail server failure is logged, not raised: the change it reports has
    already been committed and must not look failed to the person who made it.
    """
    if not to:
        return
    messages = [mail_compose(to=address, template=template, context=context, language=language) for address in to]

    def send() -> None:
        for outcome in mails_send(messages):
            if not outcome.sent:
                logger.error("could not send %s to %s: %s", template, outcome.message.to, outcome.error)

    transaction.on_commit(send)
