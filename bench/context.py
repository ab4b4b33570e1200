"""What a scenario gets: the running topology, the run's settings, and ways to act as a person
(a session cookie for pages, a token for the API) made through Django in this process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench.load import Run, median
from bench.topology import Topology
from tests.servers import Mailbox


@dataclass
class Context:
    topology: Topology
    quick: bool
    seconds: float  # per measurement
    repeats: int
    mailbox: Mailbox

    def median_of(self, measure: Callable[[], Run]) -> Run:
        return median([measure() for _ in range(self.repeats)])


def session_cookie(user_id: int) -> str:
    """A ``Cookie:`` header value signing ``user_id`` in, as the sign-in page would."""
    from django.conf import settings
    from django.test import Client

    from community.models import User

    client = Client()
    client.force_login(User.objects.get(pk=user_id))
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def api_token(user_id: int, name: str = "benchmark") -> str:
    from django.db import transaction

    from community.models import User
    from community.tokens import api_token_create

    with transaction.atomic():
        _token, key = api_token_create(user=User.objects.get(pk=user_id), name=name)
    return key
