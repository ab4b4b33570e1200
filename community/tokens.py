"""Personal API tokens, issued and revoked on the settings page."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community.audit import audit_record
from community.models import ApiToken, User

MAX_ACTIVE_TOKENS = 10
TOKEN_PREFIX = "kp_"  # noqa: S105 -- a marker that makes leaked keys easy to spot, not a secret


def token_hash(raw: str) -> str:
    # The key has 256 bits of entropy, so a plain (unsalted) SHA-256 cannot be
    # reversed by guessing; it lets a request find its token with one lookup.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Return the token and its key; the key is never stored and cannot be shown again."""
    # Lock the person's row: two requests at once cannot both slip under the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if ApiToken.objects.filter(user=user, revoked_at=None).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            _("You have %(count)d tokens; revoke one first.") % {"count": MAX_ACTIVE_TOKENS}, code="too_many"
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name.strip(), key_hash=token_hash(raw), prefix=raw[:11])
    audit_record(actor=user, action="api_token.created", subject=token, data={"name": token.name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> bool:
    """Revoke one of the person's own tokens; False when there was none to revoke."""
    revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None).update(revoked_at=timezone.now())
    if revoked:
        audit_record(actor=user, action="api_token.revoked", subject=ApiToken(pk=token_id), data={})
    return bool(revoked)


@transaction.atomic
def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every active token of the person (after a password change or reset); how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at=None).update(revoked_at=timezone.now())
    if revoked:
        audit_record(actor=user, action="api_token.revoked_all", subject=user, reason=reason, data={"count": revoked})
    return revoked
