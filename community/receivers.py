"""Reactions to allauth's account events. Connected in CommunityConfig.ready()."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.dispatch import receiver

from community.models import User
from community.realtime import session_ended
from community.services import user_sessions_end
from community.tokens import api_tokens_revoke_all


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def revoke_access_with_a_new_password(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A token taken before a compromise must not outlive the password that was changed because of it.
    api_tokens_revoke_all(user=user, reason="password changed")
    # The other sessions end with the old password's hash (Django); their open sockets close with them.
    # Sockets cannot tell sessions apart, so the changer's own tabs reconnect, with a session still valid.
    session_ended(user_id=user.pk)


@receiver(user_logged_out)
def close_sockets_on_sign_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Channels fixes a socket's user when it connects: without this, a signed-out tab keeps listening.
    if user is not None:
        session_ended(user_id=user.pk)


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def end_other_sessions_on_a_second_factor_change(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # A session signed in before a second factor was added (or removed, or its recovery codes replaced)
    # must prove it again: every other session ends; the one that made the change stays.
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        user_sessions_end(user=locked, keep=request)
    user.session_generation = locked.session_generation
