"""Personal API tokens from the settings page: ``Authorization: Token <key>`` or ``Bearer <key>``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from community.models import ApiToken, User
from community.tokens import token_hash

# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None  # not ours: session authentication may still apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give exactly one token after the word Token or Bearer."))
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(header[1]), revoked_at=None, user__is_active=True)
            .first()
        )
        if token is None:
            # Unknown, revoked (at once: every request asks) or the person is deactivated.
            raise exceptions.AuthenticationFailed(_("This token is not valid."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Token realm="api"'


class PersonalTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the token in the OpenAPI schema."""

    target_class = "api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal token from /settings/: `Authorization: Bearer <key>` (or `Token <key>`).",
        }
