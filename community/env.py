"""Strict readers for configuration taken from the environment.

Every helper raises ``ImproperlyConfigured`` naming the variable when its value
is malformed, so a typo stops the process at start-up instead of silently
falling back to a default (``DEBUG=maybe`` is an error, not ``False``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true"}
_FALSE = {"false"}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Only ``True`` or ``False`` (any case) are accepted."""
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}.")


def env_str(name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None) -> str | None:
    value = _raw(name, environ)
    return default if value is None else value


def env_int(name: str, default: int, *, minimum: int | None = None, environ: Mapping[str, str] | None = None) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}.")
    return number


def env_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    """A comma-separated list; empty items are an error (``a,,b`` is a typo)."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(f"{name} has an empty item: {value!r}.")
    return items


def env_url(
    name: str,
    default: str | None,
    *,
    schemes: set[str],
    require_host: bool = True,
    environ: Mapping[str, str] | None = None,
) -> str | None:
    """A URL whose scheme is one of ``schemes``; returned unchanged."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError on a malformed port
    except ValueError:
        raise ImproperlyConfigured(f"{name} is not a valid URL: {value!r}.") from None
    if parts.scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}; got {value!r}.")
    if require_host and not parts.hostname:
        raise ImproperlyConfigured(f"{name} must name a host: {value!r}.")
    return value


def origin_list(name: str, default: list[str], *, environ: Mapping[str, str] | None = None) -> list[str]:
    """Origins such as ``https://knooppunt.example``, as ``CSRF_TRUSTED_ORIGINS`` wants them."""
    origins = env_list(name, default, environ=environ)
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path not in {"", "/"}:
            raise ImproperlyConfigured(f"{name} items must look like https://host[:port], not {origin!r}.")
    return origins


EMAIL_BACKENDS = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
    "submission": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}


def email_config(name: str, default: str, *, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Turn ``EMAIL_URL`` into Django's ``EMAIL_*`` settings.

    ``smtp://user:pass@host:25`` plain (add ``?tls=true`` for STARTTLS),
    ``submission://…`` STARTTLS on 587, ``smtps://…`` implicit TLS on 465,
    ``console:`` prints mail, ``locmem:`` keeps it in memory, ``dummy:`` drops it.
    """
    value = _raw(name, environ) or default
    parts = urlsplit(value)
    scheme = parts.scheme
    if scheme not in EMAIL_BACKENDS:
        allowed = ", ".join(sorted(EMAIL_BACKENDS))
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}; got {value!r}.")
    config: dict[str, Any] = {"EMAIL_BACKEND": EMAIL_BACKENDS[scheme]}
    if EMAIL_BACKENDS[scheme] != EMAIL_BACKENDS["smtp"]:
        return config
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured(f"{name} has an invalid port: {value!r}.") from None
    if not parts.hostname:
        raise ImproperlyConfigured(f"{name} must name the mail server: {value!r}.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"tls", "timeout"}
    if unknown:
        raise ImproperlyConfigured(f"{name} has unknown options: {', '.join(sorted(unknown))}.")
    tls = scheme == "submission" or env_bool(f"{name} tls", False, environ={f"{name} tls": query.get("tls", "")})
    default_port = {"smtp": 25, "submission": 587, "smtps": 465}[scheme]
    try:
        timeout = int(query.get("timeout", "10"))
    except ValueError:
        raise ImproperlyConfigured(f"{name} timeout must be a whole number of seconds.") from None
    config.update(
        EMAIL_HOST=parts.hostname,
        EMAIL_PORT=port or default_port,
        EMAIL_HOST_USER=unquote(parts.username or ""),
        EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
        EMAIL_USE_TLS=tls,
        EMAIL_USE_SSL=scheme == "smtps",
        EMAIL_TIMEOUT=timeout,
    )
    return config
