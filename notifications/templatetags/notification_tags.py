from __future__ import annotations

from django import template

from notifications.models import Notification
from notifications.texts import text_of

register = template.Library()


@register.simple_tag
def notification_text(notification: Notification) -> str:
    """What the notification says, in the active language (escaped by the template)."""
    return text_of(notification)
