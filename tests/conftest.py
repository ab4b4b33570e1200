"""Shared fixtures: personas, a fast password hasher, real app servers."""

from __future__ import annotations

import copy
import importlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core import mail
from django.core.mail import EmailMessage
from django.db import connection
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from community.models import Community, Municipality, Role, User, UserKind
from tests.factories import CommunityFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.servers import Mailbox, smtp_server, worker_redis_url

ROOT = Path(__file__).resolve().parent.parent

# Hypothesis (the bad-input fuzz tests in tests/security): a short run for ``make test``, a long one for
# ``make test-long`` (HYPOTHESIS_PROFILE=long). Examples share one test's database and fixtures, and a
# page or socket round trip is slow by Hypothesis's measure; no example database on disk.
hypothesis_settings.register_profile(
    "short",
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile("long", hypothesis_settings.get_profile("short"), max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "short"))


def pytest_configure(config: pytest.Config) -> None:
    # Once, in the controller before any xdist worker starts: the compiled
    # catalogues and the static-files manifest that pages need with DEBUG off.
    if hasattr(config, "workerinput"):
        return
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "--quiet",
            "compile",
            "--domain",
            "django",
            "--directory",
            "locale",
        ],
        cwd=ROOT,
        check=True,
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], cwd=ROOT, check=True
    )


@pytest.fixture(autouse=True)
def _site_language() -> Iterator[None]:
    """Each test starts in the site's language: a request through the test client activates the
    language it asked for on the thread and nothing switches it back for the next test."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings: Any) -> None:
    """Each test counts rate limits and caches in a Redis namespace of its own.

    Parallel workers share the suite's Redis database and every request comes
    from 127.0.0.1, so allauth's per-IP limits would otherwise add up across tests.
    """
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def _own_channel_namespace(settings: Any) -> None:
    """Each test's groups and presence rooms in a namespace of its own: parallel workers have their own
    databases, so signal and user ids repeat across them, but they share the suite's Redis."""
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "CONFIG" in layers["default"]:
        layers["default"]["CONFIG"]["prefix"] = f"test-{uuid.uuid4().hex}"
        settings.CHANNEL_LAYERS = layers


@pytest.fixture(autouse=True)
def _celery_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run in the test's own process, as in embedded mode, unless a test starts real workers
    (``@pytest.mark.real_workers``): nothing is left queued in the suite's Redis for a worker of another test."""
    if request.node.get_closest_marker("real_workers"):
        yield
        return
    from community.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def posting_limits_lifted(settings: Any) -> None:
    """For a test that makes one person post many signals, recognitions or messages at once (a list of 25,
    a burst of fifty) to test something else; the posting limits (signals.limits) have tests of their own."""
    settings.POSTING_LIMITS = {
        kind: {**limits, "limit": 10_000, "new": 10_000} for kind, limits in settings.POSTING_LIMITS.items()
    }


@pytest.fixture
def mailbox() -> list[EmailMessage]:
    """The messages sent so far in this test (Django's locmem backend)."""
    mail.outbox.clear()
    return mail.outbox


@pytest.fixture
def reference_data(db: None) -> None:
    """The rows the data migrations load (region, municipalities, themes).

    A transactional test's flush empties them for the tests after it on the
    same worker; loading them again is idempotent and cheap.
    """
    from django.apps import apps

    for module in ("community.migrations.0002_hart_van_brabant", "signals.migrations.0002_themes"):
        importlib.import_module(module).load(apps, None)


@pytest.fixture
def community(db: None) -> Community:
    return CommunityFactory(name="CoP Statushouders Hart van Brabant", slug="cop-hvb")


@pytest.fixture
def tilburg(reference_data: None) -> Municipality:
    return Municipality.objects.get(cbs_code="GM0855")


@pytest.fixture
def alice(community: Community) -> User:
    """A coordinator of ``community`` with TOTP enrolled."""
    user = UserFactory(email="alice@example.org", display_name="Alice Coordinator", mfa=True)
    MembershipFactory(user=user, community=community, role=Role.COORDINATOR)
    return user


@pytest.fixture
def bob(community: Community, tilburg: Municipality) -> User:
    """A member of ``community``: a professional in Tilburg."""
    user = UserFactory(
        email="bob@example.org", display_name="Bob Member", organisation=OrganisationFactory(name="VluchtelingenWerk")
    )
    user.municipalities.set([tilburg])
    MembershipFactory(user=user, community=community, role=Role.MEMBER)
    return user


@pytest.fixture
def charlie(db: None) -> User:
    """Signed up, but a member of no community (an outsider)."""
    return UserFactory(email="charlie@example.org", display_name="Charlie Outsider")


@pytest.fixture
def dilara(community: Community) -> User:
    """A status holder and member of ``community`` (pseudonymous by default)."""
    user = UserFactory(email="dilara@example.org", display_name="Dilara", kind=UserKind.STATUS_HOLDER)
    MembershipFactory(user=user, community=community, role=Role.MEMBER)
    return user


@pytest.fixture
def worker_redis_env(server_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """App server processes' environment on a Redis database of this pytest worker's own, emptied before
    and after (see tests.servers.worker_redis_url)."""
    url = worker_redis_url()
    redis.Redis.from_url(url).flushdb()
    yield {**server_env, "REDIS_URL": url}
    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def server_env(django_db_setup: None, django_db_blocker: object) -> dict[str, str]:
    """Environment for an app server process that uses this test run's database."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        name = connection.settings_dict["NAME"]
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {"DATABASE_URL": f"{base}/{name}"}


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """Django sends through a real SMTP server on a free loopback port for this test."""
    with smtp_server() as (mailbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10
        yield mailbox
