"""Settings come from the environment, and a bad value stops start-up naming the variable."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from community.env import email_config, env_bool, env_int, env_list, env_url, origin_list
from tests.servers import ROOT

PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "p9Vq-3w0Zr8mUe1L6sYkTQbX2hN7cJdFgA5oRiWvE4tKzPyMnB_aHuCxGlDjSf",
    "ALLOWED_HOSTS": "knooppunt.example.nl",
    "CSRF_TRUSTED_ORIGINS": "https://knooppunt.example.nl",
    "SITE_URL": "https://knooppunt.example.nl",
    "DATABASE_URL": "postgres://knooppunt:secret@127.0.0.1:5432/knooppunt",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "submission://mailer:p%40ss@smtp.example.nl",
    "DEFAULT_FROM_EMAIL": "Knooppunt <noreply@knooppunt.example.nl>",
    "TRUSTED_PROXY_COUNT": "1",
}


def manage(*args: str, env: dict[str, str | None]) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ)
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )


# --- the helpers -------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [("True", True), ("false", False), ("FALSE", False), (" true ", True)])
def test_env_bool_reads_true_and_false_when_spelled_out(raw: str, expected: bool) -> None:
    assert env_bool("DEBUG", not expected, environ={"DEBUG": raw}) is expected


@pytest.mark.parametrize("raw", ["maybe", "1", "yes", "on", "0"])
def test_env_bool_refuses_anything_else_naming_the_variable(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be True or False"):
        env_bool("DEBUG", False, environ={"DEBUG": raw})


def test_env_helpers_fall_back_to_defaults_when_unset_or_blank() -> None:
    assert env_bool("DEBUG", True, environ={}) is True
    assert env_int("TRUSTED_PROXY_COUNT", 0, environ={"TRUSTED_PROXY_COUNT": "  "}) == 0
    assert env_list("ALLOWED_HOSTS", ["a"], environ={}) == ["a"]


def test_env_int_refuses_words_and_numbers_below_minimum() -> None:
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT must be a whole number"):
        env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, environ={"TRUSTED_PROXY_COUNT": "two"})
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT must be at least 0"):
        env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, environ={"TRUSTED_PROXY_COUNT": "-1"})


def test_env_list_splits_on_commas_and_refuses_empty_items() -> None:
    assert env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": "a.nl, b.nl"}) == ["a.nl", "b.nl"]
    with pytest.raises(ImproperlyConfigured, match="ALLOWED_HOSTS has an empty item"):
        env_list("ALLOWED_HOSTS", [], environ={"ALLOWED_HOSTS": "a.nl,,b.nl"})


def test_env_url_checks_scheme_host_and_port() -> None:
    schemes = {"redis"}
    assert env_url("REDIS_URL", None, schemes=schemes, environ={"REDIS_URL": "redis://h:6379/1"}) == "redis://h:6379/1"
    for bad in ["http://h:6379", "redis://", "redis://h:port"]:
        with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
            env_url("REDIS_URL", None, schemes=schemes, environ={"REDIS_URL": bad})


def test_origin_list_requires_scheme_and_no_path() -> None:
    assert origin_list("CSRF_TRUSTED_ORIGINS", [], environ={"CSRF_TRUSTED_ORIGINS": "https://a.nl"}) == ["https://a.nl"]
    for bad in ["a.nl", "https://a.nl/path", "ftp://a.nl"]:
        with pytest.raises(ImproperlyConfigured, match="CSRF_TRUSTED_ORIGINS"):
            origin_list("CSRF_TRUSTED_ORIGINS", [], environ={"CSRF_TRUSTED_ORIGINS": bad})


def test_email_url_becomes_django_email_settings() -> None:
    config = email_config("EMAIL_URL", "console:", environ={"EMAIL_URL": "submission://u%40x:p%2Fw@smtp.example.nl"})
    assert config == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.nl",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "u@x",
        "EMAIL_HOST_PASSWORD": "p/w",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }
    smtps = email_config("EMAIL_URL", "console:", environ={"EMAIL_URL": "smtps://smtp.example.nl"})
    assert (smtps["EMAIL_PORT"], smtps["EMAIL_USE_SSL"], smtps["EMAIL_USE_TLS"]) == (465, True, False)
    plain = email_config("EMAIL_URL", "console:", environ={"EMAIL_URL": "smtp://mx:2525?tls=true&timeout=3"})
    assert (plain["EMAIL_PORT"], plain["EMAIL_USE_TLS"], plain["EMAIL_TIMEOUT"]) == (2525, True, 3)
    assert email_config("EMAIL_URL", "console:", environ={}) == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }


@pytest.mark.parametrize("bad", ["smtp://", "imap://mx", "smtp://mx?tls=maybe", "smtp://mx?verify=no", "smtp://mx:x"])
def test_email_url_refuses_malformed_values(bad: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_config("EMAIL_URL", "console:", environ={"EMAIL_URL": bad})


# --- start-up ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variable", "bad", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be True or False"),
        ("SECRET_KEY", None, "SECRET_KEY is required"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS is required"),
        ("ALLOWED_HOSTS", "a.nl,,b.nl", "ALLOWED_HOSTS has an empty item"),
        ("CSRF_TRUSTED_ORIGINS", "knooppunt.example.nl", "CSRF_TRUSTED_ORIGINS items must look like"),
        ("SITE_URL", None, "SITE_URL is required when DEBUG is False"),
        ("SITE_URL", "knooppunt.example.nl", "SITE_URL must start with"),
        ("SITE_URL", "https://knooppunt.example.nl/app", "SITE_URL must be an origin"),
        ("DATABASE_URL", "mysql://root@localhost/k", "DATABASE_URL must start with"),
        ("DATABASE_URL", None, "DATABASE_URL is required when REDIS_URL is set"),
        ("REDIS_URL", "http://127.0.0.1:6379", "REDIS_URL must start with"),
        ("REDIS_URL", None, "REDIS_URL is required when DEBUG is False"),
        ("EMAIL_URL", None, "EMAIL_URL is required when DEBUG is False"),
        ("EMAIL_URL", "smtp://", "EMAIL_URL must name the mail server"),
        ("DEFAULT_FROM_EMAIL", None, "DEFAULT_FROM_EMAIL is required when DEBUG is False"),
        ("DEFAULT_FROM_EMAIL", "Knooppunt", "DEFAULT_FROM_EMAIL is not an email address"),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be at least 0"),
        ("TRUSTED_PROXY_COUNT", "one", "TRUSTED_PROXY_COUNT must be a whole number"),
    ],
)
def test_start_up_fails_naming_the_variable_when_a_value_is_bad(variable: str, bad: str | None, message: str) -> None:
    result = manage("check", env={**PRODUCTION, variable: bad})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_deploy_check_has_no_warnings_with_production_values() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_embedded_mode_when_redis_url_is_unset() -> None:
    script = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL]))"
    )
    environ = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
    environ.update(DEBUG="True", DJANGO_SETTINGS_MODULE="community.settings")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "channels.layers.InMemoryChannelLayer",
        True,
        "memory://localhost/",
    ]


def test_full_mode_uses_redis_for_layer_cache_and_broker_and_postgres() -> None:
    # The test suite itself runs in full mode, on its own Redis database number.
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    # (read from the module: each test runs with a channel prefix of its own, see tests/conftest.py)
    from community import settings as project_settings

    assert project_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] == "knooppunt9"
    assert settings.CELERY_BROKER_URL == "redis://127.0.0.1:6379/9"
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
