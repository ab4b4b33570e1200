"""The home page: my communities, what waits for me, and the signals that need me.

It lives here, not in ``community``, because it shows signals and
``community`` imports no other app of ours.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from community.forms import ApplicationForm, InvitationForm
from community.joining import invitations_for
from community.models import Application, Role, User
from community.selectors import communities_to_join, memberships_of, pending_applications
from signals.selectors import awaiting_coordinator, followed_with_activity


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """For anonymous visitors, what Knooppunt is."""
    if not request.user.is_authenticated:
        return render(request, "community/home.html", {})
    user: User = request.user
    memberships = memberships_of(user)
    coordinated = [m.community for m, standing in memberships if standing.effective == Role.COORDINATOR]
    applications = pending_applications(coordinated)
    context: dict[str, Any] = {
        "memberships": memberships,
        "invitations": invitations_for(user),
        "my_applications": Application.objects.filter(user=user).select_related("community")[:10],
        "open_communities": communities_to_join(user),
        "coordinated": [(c, applications[c.pk]) for c in coordinated],
        "application_form": ApplicationForm(),
        "invitation_form": InvitationForm(),
        "followed": followed_with_activity(user),
        "awaiting": awaiting_coordinator(user),
    }
    return render(request, "community/home.html", context)
