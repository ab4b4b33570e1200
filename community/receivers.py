"""Reactions to allauth's account events. Connected in CommunityConfig.ready()."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from community.realtime import session_ended
from community.tokens import api_tokens_revoke_all


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def revoke_tokens_with_a_new_password(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A token taken before a compromise must not outlive the password that was changed because of it.
    api_tokens_revoke_all(user=user, reason="password changed")


@receiver(user_logged_out)
def close_sockets_on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Channels fixes a socket's user when it connects: without this, a signed-out tab keeps listening.
    if user is not None:
        session_ended(user_id=user.pk)
