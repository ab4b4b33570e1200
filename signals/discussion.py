"""The discussion on a signal: post, delete, hide, restore, mark key points, flag.

The page, the API and (next) the WebSocket consumer all call these. Each
change is announced to the signal's group only after commit
(``signals.realtime``); the database stays the truth that clients resync from.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from community import permissions
from community.audit import audit_record
from community.models import Language, User
from community.people import public_name
from community.text import storable_text
from signals import recipients
from signals.limits import posting_count
from signals.models import Flag, FlagOutcome, Mention, Message, Signal, Status
from signals.privacy import guard
from signals.realtime import message_changed
from signals.services import _follow

EDIT_WINDOW = timedelta(minutes=15)
_MENTION = re.compile(r"@([\w][\w .'-]{0,58}[\w])", re.UNICODE)


def _check_body(body: str) -> str:
    body = storable_text(body).strip()
    if not body:
        raise ValidationError(_("Write a message first."), code="empty")
    if len(body) > Message.MAX_LENGTH:
        raise ValidationError(
            _("A message has at most %(max)d characters.") % {"max": Message.MAX_LENGTH}, code="too_long"
        )
    return body


def _mentioned(signal: Signal, body: str) -> list[User]:
    """Members of the signal's community named after an @, by the name others see (longest first)."""
    candidates = [match.group(1).lower() for match in _MENTION.finditer(body)]
    if not candidates:
        return []
    members = User.objects.filter(memberships__community_id=signal.community_id, is_active=True)
    found = []
    for member in members.select_related():
        name = public_name(member, signal.community).lower()
        if any(candidate.startswith(name) for candidate in candidates):
            found.append(member)
    return found


@transaction.atomic
def message_post(
    *,
    actor: User,
    signal: Signal,
    body: str,
    language: Language | None = None,
    client_id: uuid.UUID | None = None,
    reply_to: Message | None = None,
    confirmed_findings: frozenset[str] = frozenset(),
) -> tuple[Message, bool]:
    """Post a message; returns it and whether it is new (a retried ``client_id`` returns the first)."""
    if not permissions.may_discuss(actor, signal.community):
        raise PermissionDenied
    if client_id is not None:
        existing = Message.objects.filter(author=actor, client_id=client_id).first()
        if existing is not None:
            return existing, False
    if signal.hidden or signal.status == Status.MERGED:
        raise ValidationError(_("This signal takes no new messages."), code="closed_discussion")
    body = _check_body(body)
    guard(body, confirmed=confirmed_findings)
    if reply_to is not None and reply_to.signal_id != signal.pk:
        raise ValidationError(_("You can only reply to a message of this signal."), code="reply_elsewhere")
    posting_count(actor=actor, kind="message")  # after the retry check: a retry is not a new post
    try:
        with transaction.atomic():
            message = Message.objects.create(
                signal=signal,
                author=actor,
                body=body,
                language=language or actor.preferred_language,
                client_id=client_id,
                reply_to=reply_to,
            )
    except IntegrityError:
        # Only the same client_id racing in from another connection is a retry; any other broken
        # constraint (a NUL byte, a row gone meanwhile) is an error and stays one.
        raced = Message.objects.filter(author=actor, client_id=client_id).first() if client_id else None
        if raced is None:
            raise
        return raced, False
    mentioned = [user.pk for user in _mentioned(signal, body) if user.pk != actor.pk]
    Mention.objects.bulk_create([Mention(message=message, user_id=user_id) for user_id in mentioned])
    Signal.objects.filter(pk=signal.pk).update(last_activity_at=message.created_at)
    _follow(actor, signal)
    message_changed(message_id=message.pk, event="message.new")
    message.signal = signal
    recipients.message_posted(message, mentioned=mentioned)
    return message, True


def may_edit_message(user: User, message: Message) -> bool:
    """Authors edit their own messages for 15 minutes, while they are neither deleted nor hidden."""
    return message.author_id == user.pk and message.visible and timezone.now() - message.created_at <= EDIT_WINDOW


def edit_window_over() -> ValidationError:
    return ValidationError(
        _("A message can be changed for %(minutes)d minutes after posting.")
        % {"minutes": int(EDIT_WINDOW.total_seconds() // 60)},
        code="edit_window_over",
    )


@transaction.atomic
def message_edit(
    *, actor: User, message: Message, body: str, confirmed_findings: frozenset[str] = frozenset()
) -> Message:
    """The author corrects a message within the edit window; everyone on the page sees the new text."""
    locked = Message.objects.select_for_update(of=("self",)).select_related("signal__community").get(pk=message.pk)
    if locked.author_id != actor.pk:
        raise PermissionDenied
    if not may_edit_message(actor, locked):
        raise edit_window_over()
    body = _check_body(body)
    guard(body, confirmed=confirmed_findings)
    if body != locked.body:
        locked.body, locked.edited_at = body, timezone.now()
        locked.save(update_fields=["body", "edited_at"])
        already = set(Mention.objects.filter(message=locked).values_list("user_id", flat=True))
        added = [u.pk for u in _mentioned(locked.signal, body) if u.pk != actor.pk and u.pk not in already]
        Mention.objects.bulk_create([Mention(message=locked, user_id=user_id) for user_id in added])
        message_changed(message_id=locked.pk, event="message.updated")
        if added:
            recipients.mentions_added(locked, added)
    return locked


@transaction.atomic
def message_delete(*, actor: User, message: Message) -> Message:
    """The author takes their own message back (it stays as "deleted" in the history)."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.author_id != actor.pk:
        raise PermissionDenied
    if locked.deleted_at is None:
        locked.deleted_at = timezone.now()
        locked.save(update_fields=["deleted_at"])
        message_changed(message_id=locked.pk, event="message.updated")
    return locked


@transaction.atomic
def message_set_hidden(*, actor: User, message: Message, hidden: bool, reason: str) -> Message:
    locked = Message.objects.select_for_update().select_related("signal__community").get(pk=message.pk)
    community = locked.signal.community
    if not permissions.may_moderate(actor, community):
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Say why."), code="reason_required")
    # Hiding settles the open flags, also when the message was hidden already (a flag raced in).
    # Restoring leaves them: whoever restores has not looked at a flag raised since.
    handled = Flag.objects.filter(message=locked).handle(by=actor, outcome=FlagOutcome.HIDDEN) if hidden else 0
    if locked.hidden != hidden:
        locked.hidden, locked.hidden_by = hidden, actor
        locked.hidden_reason = reason.strip() if hidden else ""
        locked.save(update_fields=["hidden", "hidden_by", "hidden_reason"])
        message_changed(message_id=locked.pk, event="message.updated")
    elif not handled:
        return locked  # nothing changed (a second click): nothing to record
    audit_record(
        actor=actor,
        action="message.hidden" if hidden else "message.restored",
        subject=locked,
        community=community,
        reason=reason.strip(),
        data={"flags_handled": handled},
    )
    return locked


@transaction.atomic
def message_set_key_point(*, actor: User, message: Message, key_point: bool) -> Message:
    """Key points are what a digest quotes from the discussion."""
    locked = Message.objects.select_for_update().select_related("signal__community").get(pk=message.pk)
    if not permissions.may_mark_key_points(actor, locked.signal.community):
        raise PermissionDenied
    if locked.key_point != key_point:
        locked.key_point = key_point
        locked.save(update_fields=["key_point"])
        message_changed(message_id=locked.pk, event="message.updated")
    return locked


@transaction.atomic
def message_flag(*, actor: User, message: Message, reason: str = "") -> Flag:
    if not permissions.may_flag(actor, message.signal.community):
        raise PermissionDenied
    flag, _created = Flag.objects.get_or_create(message=message, user=actor, defaults={"reason": reason.strip()[:1000]})
    return flag
