"""A generic event to notify people of (the SMTP server fixture ``smtp`` is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from community.models import Community, User
from notifications.models import Kind
from notifications.services import Event, notify

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
