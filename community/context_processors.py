from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from community.models import Community
from community.permissions import role_standings


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The header's communities, and the roles that wait for two-factor authentication."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    standings = role_standings(user)
    if not standings:
        return {"nav_communities": [], "roles_awaiting_mfa": []}
    communities = {c.pk: c for c in Community.objects.filter(pk__in=standings).order_by("name")}
    return {
        "nav_communities": [(communities[pk], standings[pk]) for pk in communities],
        "roles_awaiting_mfa": [(communities[pk], s) for pk, s in standings.items() if s.awaiting_mfa],
    }
