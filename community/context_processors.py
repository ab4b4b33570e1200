from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from community.permissions import ANSWERERS, MODERATORS
from community.selectors import memberships_of


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The header's communities, and the roles that wait for two-factor authentication (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    memberships = memberships_of(user)
    return {
        "nav_communities": [(m.community, standing) for m, standing in memberships],
        "roles_awaiting_mfa": [(m.community, standing) for m, standing in memberships if standing.awaiting_mfa],
        # Where the person handles flags (``may_handle_flags``: the roles in force that moderate),
        # for the header's link to the moderation queue; its count comes from the signals app's tag.
        "nav_moderated": [m.community_id for m, standing in memberships if standing.effective in MODERATORS],
        "nav_dashboard": any(standing.effective in ANSWERERS for _m, standing in memberships),
    }
