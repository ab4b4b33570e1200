"""Per-person limits on what one person posts: signals, recognitions, messages.

Counted inside the domain functions, so the pages, the API and the sockets share
one counter per person and kind (``community.ratelimit``: Redis' atomic INCR, so
parallel requests in any number of processes never admit more than the limit).
Accounts younger than ``NEW_ACCOUNT_DAYS`` get the stricter ``new`` limit: a fresh
account made to flood the community is the likely abuse.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import User
from community.ratelimit import rate_limit_hit

Kind = Literal["signal", "recognition", "message"]

_suspended: ContextVar[bool] = ContextVar("posting_limits_suspended", default=False)


@contextmanager
def posting_limits_suspended() -> Iterator[None]:
    """For loading data nobody typed (the demo): no person is posting, so nothing is counted. Without it the
    counters, which outlive a database in Redis, would stop a second load within the hour (a fresh
    database for `make run`, the tests' own worlds)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


class TooMany(ValidationError):
    """The person reached their limit for this kind of post (code ``too_many``); nothing was saved."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, code="too_many")
        self.retry_after = retry_after


def is_new_account(user: User) -> bool:
    return timezone.now() - user.date_joined < timedelta(days=settings.NEW_ACCOUNT_DAYS)


def posting_limit(user: User, kind: Kind) -> tuple[int, int]:
    """(limit, period in seconds) for this person and kind now."""
    limits = settings.POSTING_LIMITS[kind]
    return (limits["new"] if is_new_account(user) else limits["limit"]), limits["period"]


def posting_count(*, actor: User, kind: Kind) -> None:
    """Count one post of ``kind`` by ``actor``; raise TooMany when it is over the limit.

    Call it once the post is otherwise valid (after permission and input checks), so
    a refused or corrected attempt does not use up the allowance.
    """
    if _suspended.get():
        return
    limit, period = posting_limit(actor, kind)
    result = rate_limit_hit(f"post.{kind}", f"user.{actor.pk}", limit=limit, period=period)
    if result.allowed:
        return
    if kind == "signal":
        message = _("You have reported many signals in a short time. Try again later.")
    elif kind == "recognition":
        message = _("You have recognised many signals in a short time. Try again later.")
    else:
        message = _("You have posted many messages in a short time. Wait a while before you post again.")
    raise TooMany(message, retry_after=result.retry_after)
