"""A fixed-window rate limiter on the shared cache.

With Redis as the cache (full mode) every process counts in the same place:
the counter lives under a key per window and is raised with Redis' atomic
INCR, so parallel callers in any number of processes never admit more than
``limit`` per window. In embedded mode the local-memory cache counts per
process, which is all there is.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int
    """Seconds until the current window ends (for a ``Retry-After`` header)."""


def rate_limit_hit(scope: str, key: str, *, limit: int, period: int) -> RateLimitResult:
    """Count one attempt for ``key`` within ``scope`` and say whether it is allowed.

    ``scope`` names what is limited (``"api.write"``), ``key`` who (a user id,
    a token id, an IP address). Refused attempts count too, so hammering does
    not reopen the window early.
    """
    if limit < 1 or period < 1:
        raise ValueError("limit and period must be positive")
    now = time.time()
    window = int(now // period)
    cache_key = f"ratelimit:{scope}:{key}:{window}"
    # The key outlives its window a little so a slow caller never sees it vanish mid-window.
    timeout = period + 5
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # First hit of this window. add() is atomic: if another caller won the
        # race, our add fails and the incr below counts us after them.
        count = 1 if cache.add(cache_key, 1, timeout) else cache.incr(cache_key)
    retry_after = max(1, math.ceil((window + 1) * period - now))
    return RateLimitResult(
        allowed=count <= limit,
        limit=limit,
        remaining=max(0, limit - count),
        retry_after=retry_after,
    )


def rate_limit_reset(scope: str, key: str, *, period: int) -> None:
    window = int(time.time() // period)
    cache.delete(f"ratelimit:{scope}:{key}:{window}")


def client_ip(request: HttpRequest) -> str:
    """The client's address, honouring exactly ``TRUSTED_PROXY_COUNT`` proxies.

    Each trusted proxy appends the address it received the request from to
    ``X-Forwarded-For``; with N trusted proxies the client is the N-th entry
    from the right. Anything further left was written by the client and is
    not believed.
    """
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR", "")
    candidate = remote
    if count > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= count:
            candidate = forwarded[-count]
        else:
            logger.warning("X-Forwarded-For has %d entries, fewer than TRUSTED_PROXY_COUNT=%d", len(forwarded), count)
    try:
        return str(ipaddress.ip_address(candidate.strip("[]")))
    except ValueError:
        return remote or "unknown"
