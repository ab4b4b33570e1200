"""A real SMTP server (aiosmtpd) for the mail tests, and a generic event to notify people of."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from community.models import Community, User
from notifications.models import Kind
from notifications.services import Event, notify
from tests.servers import free_port


@dataclass
class Mailbox:
    """What the SMTP server accepted; ``refuse`` holds addresses it answers 550 for (a hard failure)."""

    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for recipients, message in self.received if address in recipients]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """Django sends through a real SMTP server on a free loopback port for this test."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield mailbox
    finally:
        controller.stop()


Tell = Callable[..., list[int]]


@pytest.fixture
def tell(community: Community) -> Tell:
    """Notify people of a generic event on subject ``thing:1`` (the centre knows nothing of signals)."""

    def tell(
        recipients: list[User], *, kind: Kind = Kind.MENTION, actor: User | None = None, **fields: Any
    ) -> list[int]:
        event = Event(
            kind=kind,
            community=community,
            subject_key=fields.pop("subject_key", "thing:1"),
            url=fields.pop("url", "/things/1/"),
            title=fields.pop("title", "Wachtlijst voor taalles"),
            actor=actor,
            actor_label=actor.display_name if actor else "",
            **fields,
        )
        return notify(event, [person.pk for person in recipients])

    return tell
