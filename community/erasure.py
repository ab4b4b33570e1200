"""Deleting an account: asked for, confirmed by an emailed one-time code, then erased in one transaction.

What goes: the email address (replaced by a unique address that cannot receive
mail), the name, the password, the pseudonym, municipalities and organisation,
allauth's addresses and second factors, sessions, API tokens, memberships,
applications and invitations to the address, and whatever the other apps
registered in ``community.personal_data`` (notifications, preferences,
follows, …). What stays: what the person contributed (signals, messages,
recognitions with the municipality and organisation they recorded), shown as
"a former member", and the audit log, which is append-only.

The audit entry of the deletion names the account only by its id. The audit
fields that may still hold a former name or address are ``ALLOWED_AUDIT_FIELDS``:
the log cannot be rewritten, so a reason a coordinator typed earlier ("removed
at Bob's own request") or a value recorded as evidence (a digest target's
addresses) stays as written. Nothing of ours writes a person's name or address
into the log itself.
"""

from __future__ import annotations

import datetime
import secrets

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from community.audit import audit_record
from community.mail import mail_after_commit
from community.models import (
    ApiToken,
    Application,
    Community,
    DeletionCode,
    Invitation,
    Membership,
    Role,
    User,
)
from community.personal_data import personal_data_sections
from community.ratelimit import rate_limit_hit
from community.realtime import access_changed, session_ended

# (table, column) pairs where a deleted person's former name or address may legitimately remain.
ALLOWED_AUDIT_FIELDS = frozenset({("community_auditentry", "reason"), ("community_auditentry", "data")})

# Where erased accounts' addresses point: ".invalid" can never be delivered (RFC 2606).
ERASED_EMAIL_DOMAIN = "erased.invalid"

CODE_DIGITS = 6
CODE_REQUESTS_PER_HOUR = 3
CODE_CHECKS_PER_HOUR = 10


def code_validity() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.ACCOUNT_DELETION_CODE_MINUTES)


def _code_hash(user_id: int, code: str) -> str:
    # Keyed (SECRET_KEY) and bound to the person: six digits are too few for a plain hash to hide them.
    return salted_hmac("knooppunt.account-deletion", f"{user_id}:{code}", algorithm="sha256").hexdigest()


def last_coordinator_of(user: User) -> list[Community]:
    """The communities where the person is the only coordinator: they hand the role over before leaving."""
    theirs = Membership.objects.filter(user=user, role=Role.COORDINATOR).values("community_id")
    others = Membership.objects.filter(community_id__in=theirs, role=Role.COORDINATOR).exclude(user=user)
    return list(Community.objects.filter(pk__in=theirs).exclude(pk__in=others.values("community_id")))


def _ensure_may_leave(user: User) -> None:
    communities = last_coordinator_of(user)
    if communities:
        raise ValidationError(
            _("You are the only coordinator of %(communities)s. Make someone else coordinator first.")
            % {"communities": ", ".join(c.name for c in communities)},
            code="last_coordinator",
        )


@transaction.atomic
def account_deletion_request(*, actor: User, user: User) -> DeletionCode:
    """Mail the person a one-time code that confirms the deletion; a new request replaces an open one."""
    if actor.pk != user.pk or not user.is_active:
        raise PermissionDenied
    if not rate_limit_hit("account.deletion_code", str(user.pk), limit=CODE_REQUESTS_PER_HOUR, period=3600).allowed:
        raise ValidationError(_("You asked for a code too often; try again in an hour."), code="too_many")
    _ensure_may_leave(user)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    deletion_code, _created = DeletionCode.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": _code_hash(user.pk, code),
            "created_at": now,
            "expires_at": now + code_validity(),
            "attempts": 0,
        },
    )
    audit_record(actor=actor, action="account.deletion_requested", subject=user)
    mail_after_commit(
        to=[user.email],
        template="community/email/account_deletion_code",
        context={"code": code, "minutes": settings.ACCOUNT_DELETION_CODE_MINUTES},
        language=user.preferred_language,
    )
    return deletion_code


def account_deletion_confirm(*, actor: User, user: User, code: str) -> None:
    """Erase the account when ``code`` is the one mailed; otherwise count the attempt and refuse.

    A code works once, for ``ACCOUNT_DELETION_CODE_MINUTES``; after
    ``DeletionCode.MAX_ATTEMPTS`` wrong tries it is gone and the person asks
    again. Not one transaction around everything: a refusal must keep the
    attempt it counted, so the check commits before the error is raised.
    """
    if actor.pk != user.pk or not user.is_active:
        raise PermissionDenied
    if not rate_limit_hit("account.deletion_check", str(user.pk), limit=CODE_CHECKS_PER_HOUR, period=3600).allowed:
        raise ValidationError(_("Too many tries; try again in an hour."), code="too_many")
    with transaction.atomic():
        refusal = _code_check(user=user, code=code)
        if refusal is None:
            _ensure_may_leave(user)
            account_erase(actor=actor, user=user, reason="requested by the person")
    if refusal is not None:
        raise refusal


def _code_check(*, user: User, code: str) -> ValidationError | None:
    """Use up the code when it is right (None); count a wrong try. Caller holds a transaction."""
    pending = DeletionCode.objects.select_for_update().filter(user=user).first()
    if pending is None or pending.expires_at <= timezone.now():
        if pending is not None:
            pending.delete()
        return ValidationError(_("This code has expired. Ask for a new code."), code="expired")
    if constant_time_compare(pending.code_hash, _code_hash(user.pk, "".join(code.split()))):
        pending.delete()
        return None
    pending.attempts += 1
    if pending.attempts >= DeletionCode.MAX_ATTEMPTS:
        pending.delete()
        return ValidationError(_("That code was wrong too often. Ask for a new code."), code="too_many_attempts")
    pending.save(update_fields=["attempts"])
    return ValidationError(_("That code is not right. Check the email and try again."), code="wrong")


@transaction.atomic
def account_erase(*, actor: User | None, user: User, reason: str) -> None:
    """Erase everything personal of ``user`` and keep their contributions as "a former member".

    Called by ``account_deletion_confirm`` (the person) and by the retention task (``actor`` None).
    Idempotent: an account already erased is left alone.
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.erased_at is not None:
        return
    # Every registered eraser, while the name and address are still there to be found.
    for section in personal_data_sections():
        section.eraser(locked)
    locked.email = f"erased-{locked.pk}-{secrets.token_hex(4)}@{ERASED_EMAIL_DOMAIN}"
    locked.display_name = ""
    locked.pseudonymous = False
    locked.pseudonym_label = ""
    locked.organisation = None
    locked.is_active = False
    locked.is_staff = False
    locked.is_superuser = False
    locked.last_login = None
    locked.erased_at = timezone.now()
    locked.set_unusable_password()
    locked.save()
    locked.municipalities.clear()
    locked.groups.clear()
    locked.user_permissions.clear()
    # No name, no address: the account's id (the subject) is what the log needs.
    audit_record(actor=actor, action="account.erased", subject=locked, reason=reason)
    session_ended(user_id=locked.pk)
    user.refresh_from_db()


# --- The community app's erasers (registered in community.personal_data) ----------------------------


def memberships_erase(user: User) -> None:
    """Leave every community; each removal is audited and closes the person's sockets there."""
    memberships = list(Membership.objects.filter(user=user).select_related("community").order_by("community_id"))
    # One lock order for everyone (community.memberships): the communities first, by id.
    list(Community.objects.select_for_update().filter(pk__in=[m.community_id for m in memberships]).order_by("pk"))
    for membership in memberships:
        audit_record(
            actor=None,
            action="membership.removed",
            subject=user,
            community=membership.community,
            reason="account deleted",
            data={"role": membership.role},
        )
        membership.delete()
        access_changed(user_id=user.pk, community_id=membership.community_id)


def applications_erase(user: User) -> None:
    # Their messages are the person's words; the decisions on them stay in the audit log.
    Application.objects.filter(user=user).delete()


def invitations_erase(user: User) -> None:
    # The address lives on the invitation, never in the log (community.joining), so it can go entirely.
    Invitation.objects.filter(email__iexact=user.email).delete()


def sign_in_erase(user: User) -> None:
    """Addresses, second factors, tokens, open deletion codes, sessions; the admin's history of the account."""
    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    ApiToken.objects.filter(user=user).delete()
    DeletionCode.objects.filter(user=user).delete()
    sessions_erase(user)
    names = [value for value in (user.display_name, user.email, user.pseudonym_label) if value]
    LogEntry.objects.filter(Q(*[Q(object_repr__icontains=n) for n in names], _connector=Q.OR)).update(
        object_repr=_("a former member")
    )


def sessions_erase(user: User) -> int:
    """Sign the person out everywhere. Sessions are not indexed by person: read the unexpired ones."""
    ended = [
        session.pk
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(pk__in=ended).delete()
    return len(ended)
