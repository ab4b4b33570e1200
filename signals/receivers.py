"""Reactions to what happens in the community app. Connected in SignalsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from community.models import Community
from community.services import escalation_rule_changed
from signals import tasks


@receiver(escalation_rule_changed)
def evaluate_again_when_the_rule_changes(sender: Any, community: Community, **kwargs: Any) -> None:
    # A lower bar may already be met by signals nobody recognises any more; beat's sweep would
    # find them within 15 minutes, this finds them now (and embedded mode has no beat).
    tasks.escalation_sweep.delay(community.pk)
