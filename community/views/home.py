from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from community.forms import ApplicationForm, InvitationForm
from community.health import run_checks
from community.joining import invitations_for
from community.models import Application, Role, User
from community.selectors import communities_to_join, memberships_of, pending_applications


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"database": true, "cache": true, "channel_layer": true, "broker": true}``; 503 when one is down."""
    results = run_checks()
    return JsonResponse(results, status=200 if all(results.values()) else 503)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """My communities and what waits for me; for anonymous visitors, what Knooppunt is."""
    if not request.user.is_authenticated:
        return render(request, "community/home.html", {})
    user: User = request.user
    memberships = memberships_of(user)
    coordinated = [m.community for m, standing in memberships if standing.effective == Role.COORDINATOR]
    applications = pending_applications(coordinated)
    return render(
        request,
        "community/home.html",
        {
            "memberships": memberships,
            "invitations": invitations_for(user),
            "my_applications": Application.objects.filter(user=user).select_related("community")[:10],
            "open_communities": communities_to_join(user),
            "coordinated": [(c, applications[c.pk]) for c in coordinated],
            "application_form": ApplicationForm(),
            "invitation_form": InvitationForm(),
        },
    )
