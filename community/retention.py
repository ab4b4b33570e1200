"""The retention periods of the privacy statement, and the daily job that holds the data to them.

The periods live in settings (``RETENTION_*``, one place); ``retention_periods``
is what the statement shows and ``retention_enforce`` what the task
``privacy.retention`` runs (daily, on beat). Each step is idempotent and
commits on its own, so a run that stops halfway keeps what it did and the
next run does the rest.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from community.erasure import account_erase
from community.models import DeletionCode, User
from community.personal_data import retention_purges, retention_register

logger = logging.getLogger(__name__)

# At most this many accounts are erased per run: each is a transaction of its own, within the task's time limit.
ERASURES_PER_RUN = 200


@dataclass(frozen=True)
class RetentionPeriods:
    read_notifications_days: int
    unread_notifications_days: int
    unverified_account_days: int
    inactive_account_days: int
    delivery_address_days: int
    deletion_code_minutes: int
    session_days: int


def retention_periods() -> RetentionPeriods:
    return RetentionPeriods(
        read_notifications_days=settings.RETENTION_READ_NOTIFICATIONS_DAYS,
        unread_notifications_days=settings.RETENTION_UNREAD_NOTIFICATIONS_DAYS,
        unverified_account_days=settings.RETENTION_UNVERIFIED_ACCOUNT_DAYS,
        inactive_account_days=settings.RETENTION_INACTIVE_ACCOUNT_DAYS,
        delivery_address_days=settings.RETENTION_DELIVERY_ADDRESS_DAYS,
        deletion_code_minutes=settings.ACCOUNT_DELETION_CODE_MINUTES,
        session_days=max(1, settings.SESSION_COOKIE_AGE // 86400),
    )


def days_ago(now: datetime.datetime, days: int) -> datetime.datetime:
    return now - datetime.timedelta(days=days)


def accounts_due_for_erasure(now: datetime.datetime) -> list[int]:
    """Ids of accounts past their period: never verified (signed up, address not confirmed, never signed in,
    in no community), or deactivated and not signed in for ``inactive_account_days``."""
    periods = retention_periods()
    verified = EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)
    any_address = EmailAddress.objects.filter(user=OuterRef("pk"))
    unverified = Q(
        Exists(any_address),
        ~Exists(verified),
        last_login=None,
        memberships=None,
        date_joined__lt=days_ago(now, periods.unverified_account_days),
    )
    inactive_since = days_ago(now, periods.inactive_account_days)
    inactive = Q(is_active=False) & (
        Q(last_login__lt=inactive_since) | Q(last_login=None, date_joined__lt=inactive_since)
    )
    due = User.objects.filter(erased_at=None).filter(unverified | inactive).order_by("pk")
    return list(due.values_list("pk", flat=True).distinct()[:ERASURES_PER_RUN])


def accounts_erase_due(now: datetime.datetime) -> int:
    erased = 0
    for user_id in accounts_due_for_erasure(now):
        user = User.objects.filter(pk=user_id, erased_at=None).first()
        if user is None:  # erased meanwhile by another run
            continue
        account_erase(actor=None, user=user, reason="retention period ended")
        erased += 1
    return erased


def codes_and_sessions_purge(now: datetime.datetime) -> int:
    """Expired deletion codes, and expired sessions (allauth keeps sign-in codes and their addresses there)."""
    with transaction.atomic():
        codes, _by_model = DeletionCode.objects.filter(expires_at__lte=now).delete()
        sessions, _by_model = Session.objects.filter(expire_date__lte=now).delete()
    return codes + sessions


def retention_enforce(now: datetime.datetime | None = None) -> dict[str, int]:
    """Run every purge (this app's and those other apps registered); how many rows each changed."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for name, purge in retention_purges().items():
        done[name] = purge(now)
    logger.info("retention: %s", ", ".join(f"{name} {count}" for name, count in done.items()))
    return done


def community_purges_register() -> None:
    retention_register(name="sign_in_codes_and_sessions", purge=codes_and_sessions_purge)
    retention_register(name="accounts", purge=accounts_erase_due)
