"""The header's count of what waits in the moderation queue.

A tag rather than a context processor: ``community`` (where the header's
context comes from) imports no other app of ours.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from signals.moderation import flagged_count

register = template.Library()


@register.simple_tag
def moderation_waiting(community_ids: Iterable[int]) -> int:
    """How many messages and signals wait for a moderator in these communities (one query)."""
    return flagged_count(community_ids)
