"""The rate limiter counts on the shared cache (Redis here), atomically, across processes."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import RequestFactory, override_settings

from community.ratelimit import client_ip, rate_limit_hit, rate_limit_reset


def _hits_in_a_fresh_process(args: tuple[str, int, int]) -> int:
    """Runs in a spawned process: its own Django, its own Redis connections."""
    import django

    django.setup()
    from community.ratelimit import rate_limit_hit

    key, attempts, limit = args
    return sum(rate_limit_hit("test.parallel", key, limit=limit, period=60).allowed for _ in range(attempts))


def test_allows_up_to_the_limit_then_refuses_with_a_retry_time() -> None:
    key = uuid.uuid4().hex
    results = [rate_limit_hit("test.basic", key, limit=3, period=60) for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0, 0]
    assert 1 <= results[-1].retry_after <= 60


def test_keys_and_scopes_count_separately() -> None:
    key = uuid.uuid4().hex
    assert rate_limit_hit("test.a", key, limit=1, period=60).allowed
    assert not rate_limit_hit("test.a", key, limit=1, period=60).allowed
    assert rate_limit_hit("test.b", key, limit=1, period=60).allowed
    assert rate_limit_hit("test.a", uuid.uuid4().hex, limit=1, period=60).allowed


def test_reset_opens_the_window_again() -> None:
    key = uuid.uuid4().hex
    rate_limit_hit("test.reset", key, limit=1, period=60)
    rate_limit_reset("test.reset", key, period=60)
    assert rate_limit_hit("test.reset", key, limit=1, period=60).allowed


def test_refuses_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="positive"):
        rate_limit_hit("test.bad", "k", limit=0, period=60)


def test_parallel_threads_never_get_more_than_the_limit() -> None:
    key = uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=16) as pool:
        allowed = list(pool.map(lambda _: rate_limit_hit("test.threads", key, limit=50, period=60).allowed, range(200)))
    assert sum(allowed) == 50


def test_parallel_processes_share_one_count_in_redis() -> None:
    key = uuid.uuid4().hex
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        allowed = pool.map(_hits_in_a_fresh_process, [(key, 60, 100)] * 4)
    assert sum(allowed) == 100


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no trusted proxy: the header is the client's own claim
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the proxy appended the real client last
        (2, "198.51.100.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer entries than proxies: misconfigured, use the peer
        (1, "not-an-ip", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_believes_exactly_the_trusted_proxies(proxies: int, forwarded: str, expected: str) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_allauth_rate_limits_see_the_same_client_address(proxies: int) -> None:
    from allauth.core.internal.httpkit import get_client_ip

    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9, 10.0.0.7"
    )
    with override_settings(TRUSTED_PROXY_COUNT=proxies, ALLAUTH_TRUSTED_PROXY_COUNT=proxies):
        assert get_client_ip(request) == client_ip(request)
