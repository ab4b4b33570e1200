"""Knooppunt settings: one module, configured from the environment.

Every variable is documented in ``.env.example``. Two modes (ARCHITECTURE.md):

* **embedded** (no ``REDIS_URL``): SQLite unless ``DATABASE_URL``, in-memory
  channel layer, local-memory cache, Celery tasks run in-process after commit;
* **full** (``REDIS_URL`` and ``DATABASE_URL``): Redis for the channel layer
  (pub/sub), the cache and the Celery broker; PostgreSQL.

Code outside this module never branches on the mode.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from community.env import email_config, env_bool, env_int, env_list, env_str, env_url, origin_list

# Lets admin.ModelAdmin[Model] and friends be subscripted at run time, for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)

_secret_key = env_str("SECRET_KEY")
if _secret_key is None:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is False.")
    # Only ever used with DEBUG on: sessions made with it are worthless elsewhere.
    _secret_key = "insecure-development-key-do-not-use-in-production-" + "k" * 16
SECRET_KEY = _secret_key

_local_hosts = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", _local_hosts if DEBUG else [])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is False (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = origin_list(
    "CSRF_TRUSTED_ORIGINS", ["http://localhost:8000", "http://127.0.0.1:8000"] if DEBUG else []
)

SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000" if DEBUG else None, schemes={"http", "https"}) or ""
if not SITE_URL:
    # Cookie security and HTTPS redirects follow its scheme: never guess it in production.
    raise ImproperlyConfigured("SITE_URL is required when DEBUG is False (e.g. https://knooppunt.example.nl).")
if urlsplit(SITE_URL).path not in {"", "/"}:
    raise ImproperlyConfigured(f"SITE_URL must be an origin without a path, not {SITE_URL!r}.")
SITE_URL = SITE_URL.rstrip("/")
SITE_IS_HTTPS = urlsplit(SITE_URL).scheme == "https"

TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)

REDIS_URL = env_url("REDIS_URL", None, schemes={"redis", "rediss", "unix"}, require_host=False)
EMBEDDED_MODE = REDIS_URL is None
if EMBEDDED_MODE and not DEBUG:
    # Embedded mode keeps the cache, rate limits and channel layer in one process's memory.
    raise ImproperlyConfigured("REDIS_URL is required when DEBUG is False (embedded mode is for development).")

# --- Applications -----------------------------------------------------------

INSTALLED_APPS = [
    "community",
    "notifications",
    "signals",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_celery_beat",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "api.middleware.ApiBodyLimitMiddleware",
    "community.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "community.middleware.PreferredLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "community.urls"
WSGI_APPLICATION = "community.wsgi.application"
ASGI_APPLICATION = "community.asgi.application"
WEBSOCKET_ROUTES = ["signals.routing", "notifications.routing"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "community.context_processors.navigation",
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------

_database_url = env_url("DATABASE_URL", None, schemes={"postgres", "postgresql", "pgsql", "sqlite"}, require_host=False)
if _database_url is None and not EMBEDDED_MODE:
    raise ImproperlyConfigured("DATABASE_URL is required when REDIS_URL is set (full mode uses PostgreSQL).")
if _database_url is None or _database_url.startswith("sqlite"):
    _database = dj_database_url.parse(_database_url or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    _database["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
else:
    _database = dj_database_url.parse(_database_url)
    # Persistent connections stay off under ASGI; psycopg's pool reuses them instead.
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "connect_timeout": 5,
        "pool": {"min_size": 1, "max_size": 8, "timeout": 10},
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _redis_db_number(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


CACHES: dict[str, dict[str, Any]]
CHANNEL_LAYERS: dict[str, dict[str, Any]]
if REDIS_URL is None:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "knooppunt"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "knooppunt",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Redis pub/sub ignores database numbers: the prefix keeps the
            # test suite's database (and any other) from hearing this one.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"knooppunt{_redis_db_number(REDIS_URL)}"},
        }
    }

# --- Background work (Celery) ---------------------------------------------

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = EMBEDDED_MODE
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# A task whose worker died is redelivered after this; it must exceed the hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "Europe/Amsterdam"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Notifications ----------------------------------------------------------------
# Events on one subject within this window join one unread notification ("12 new messages on …").
NOTIFICATIONS_GROUP_WINDOW_SECONDS = env_int("NOTIFICATIONS_GROUP_WINDOW_SECONDS", 600, minimum=0)
# Immediate mail for those kinds waits this long for more events. Embedded mode has no beat to
# send it later, so there it goes at once.
NOTIFICATIONS_MAIL_DELAY_SECONDS = env_int("NOTIFICATIONS_MAIL_DELAY_SECONDS", 0 if EMBEDDED_MODE else 120, minimum=0)
# A digest delivery still "sending" after this long was interrupted (longer than any task may run:
# CELERY_TASK_TIME_LIMIT); it becomes "uncertain" and is never sent again (signals.outbox).
DIGEST_SENDING_STALE_SECONDS = 900

# --- Privacy: retention -------------------------------------------------------
# The one place of the retention periods: the privacy statement (/privacy/) states them and the daily
# task "privacy.retention" (community.retention) enforces them. Days unless the name says otherwise.
RETENTION_READ_NOTIFICATIONS_DAYS = 90  # a read notification has done its work
RETENTION_UNREAD_NOTIFICATIONS_DAYS = 365  # an unread one that is a year old will not be read any more
RETENTION_UNVERIFIED_ACCOUNT_DAYS = 30  # signed up, never confirmed the address, never signed in
RETENTION_INACTIVE_ACCOUNT_DAYS = 365  # deactivated and not signed in for a year: erased like a deletion
RETENTION_DELIVERY_ADDRESS_DAYS = 180  # digest deliveries keep their recipient address this long
# The one-time code that confirms an account deletion works this long (and is purged after it).
ACCOUNT_DELETION_CODE_MINUTES = 15

# --- Mail -------------------------------------------------------------------

if not DEBUG and env_str("EMAIL_URL") is None:
    # Sign-in codes and invitation links would otherwise be printed to the logs.
    raise ImproperlyConfigured("EMAIL_URL is required when DEBUG is False (e.g. submission://user:pass@host).")
globals().update(email_config("EMAIL_URL", "console:"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Knooppunt <noreply@localhost>" if DEBUG else None) or ""
if not DEFAULT_FROM_EMAIL:
    raise ImproperlyConfigured("DEFAULT_FROM_EMAIL is required when DEBUG is False.")
try:
    validate_email(parseaddr(DEFAULT_FROM_EMAIL)[1])
except ValidationError:
    raise ImproperlyConfigured(f"DEFAULT_FROM_EMAIL is not an email address: {DEFAULT_FROM_EMAIL!r}.") from None
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts ---------------------------------------------------------------
# django-allauth: email is the login, verified by a code; a password is optional
# (sign-in by a code sent by email works for everyone); TOTP as second factor,
# required before a coordinator or liaison role takes effect (community.permissions).

AUTH_USER_MODEL = "community.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_SIGNUP_FORM_CLASS = "community.forms.SignupForm"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Knooppunt] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_IS_HTTPS else "http"
# allauth reads the client IP for its rate limits the same way community.ratelimit does.
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Knooppunt"
# Accept the code of the previous and next 30-second window too: phone clocks drift and people type slowly.
MFA_TOTP_TOLERANCE = 1

# --- JSON API -----------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.PersonalTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # enforces CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.WriteThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Knooppunt API",
    "DESCRIPTION": (
        "Signals of your communities: list, report, recognise, move through their lifecycle, follow. "
        "Authenticate with a personal token from /settings/ (`Authorization: Token <key>` or `Bearer <key>`), "
        'or with the browser session and its CSRF token. Errors are `{"detail", "code"}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Abuse limits -----------------------------------------------------------------
# What one person may post, counted in signals.limits for pages, API and sockets alike:
# at most "limit" per "period" seconds, "new" while the account is younger than NEW_ACCOUNT_DAYS.

POSTING_LIMITS: dict[str, dict[str, int]] = {
    "signal": {"limit": 10, "new": 3, "period": 60 * 60},
    "recognition": {"limit": 60, "new": 20, "period": 60 * 60},
    "message": {"limit": 30, "new": 10, "period": 10 * 60},
}
NEW_ACCOUNT_DAYS = 7

# --- Security ---------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SITE_IS_HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The browser only honours HSTS over HTTPS, and Django only sends it there.
SECURE_HSTS_SECONDS = 0 if DEBUG else 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_SSL_REDIRECT = SITE_IS_HTTPS and not DEBUG
# Container health checks talk plain HTTP to the app server, behind the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if TRUSTED_PROXY_COUNT:
    # Only a proxy we trust may tell us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        # Browsers report what the policy blocked (community/views/csp.py logs it as a warning).
        "report-uri": ["/csp-report/"],
    },
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

# --- Internationalisation -----------------------------------------------

# Source strings are written in English; Dutch is the language people see first.
LANGUAGE_CODE = "nl"
LANGUAGES = [
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("ar", _("Arabic")),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Amsterdam"

# --- Static files -----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging ----------------------------------------------------------------

# What people write never reaches a log: the filter takes values out of queries and database errors
# (community.logfilters). On the handler for all output, and on the two loggers that carry such text.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"no_query_values": {"()": "community.logfilters.NoQueryValues"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_query_values"]}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING", "filters": ["no_query_values"]},
        "django.request": {"filters": ["no_query_values"]},
    },
}
