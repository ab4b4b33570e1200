"""Writes through the API are limited per person (all their tokens and their session together), on the shared cache."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from community.ratelimit import rate_limit_hit

WRITES_PER_MINUTE = 60
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class WriteThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return True
        # Per person, whatever mix of tokens and the browser session they write with.
        result = rate_limit_hit("api.write", f"user.{request.user.pk}", limit=WRITES_PER_MINUTE, period=60)
        self._wait = None if result.allowed else result.retry_after
        return result.allowed

    def wait(self) -> float | None:
        return self._wait
