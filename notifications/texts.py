"""What a notification says, in the active language (pages, sockets and mails all use this)."""

from __future__ import annotations

from django.utils.translation import get_language, gettext, ngettext

from notifications.models import Kind, Notification


def detail_of(notification: Notification) -> str:
    """The detail in the active language (falling back to Dutch, then to any)."""
    detail = notification.detail or {}
    language = (get_language() or "nl")[:2]
    return detail.get(language) or detail.get("nl") or next(iter(detail.values()), "")


def text_of(notification: Notification) -> str:
    values = {
        "actor": notification.actor_label or gettext("someone"),
        "title": notification.title,
        "detail": detail_of(notification),
        "count": notification.count,
    }
    kind = notification.kind
    if kind == Kind.MESSAGE:
        if notification.count == 1:
            return gettext("%(actor)s wrote on “%(title)s”") % values
        return (
            ngettext(
                "%(count)d new message on “%(title)s”", "%(count)d new messages on “%(title)s”", notification.count
            )
            % values
        )
    if kind == Kind.MENTION:
        return gettext("%(actor)s mentioned you on “%(title)s”") % values
    if kind == Kind.STATUS:
        return gettext("“%(title)s” is now: %(detail)s") % values
    if kind == Kind.ESCALATED:
        return gettext("“%(title)s” was escalated") % values
    if kind == Kind.ANSWER:
        return gettext("An answer was recorded on “%(title)s”") % values
    if kind == Kind.DIGEST:
        return gettext("Digest “%(title)s”: %(detail)s") % values
    if kind == Kind.NEW_SIGNAL:
        return gettext("New signal in %(detail)s: “%(title)s”") % values
    if kind == Kind.MERGE:
        return gettext("“%(detail)s” was merged into “%(title)s”; your recognition counts there") % values
    if kind == Kind.CHECK_BACK:
        return gettext("Is “%(title)s” still a problem?") % values
    return notification.title
