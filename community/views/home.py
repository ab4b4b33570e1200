from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from community.forms import ApplicationForm, InvitationForm
from community.health import run_checks
from community.joining import invitations_for
from community.models import Application, ApplicationStatus, Community, Membership, Role
from community.permissions import RoleStanding, role_standings


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"database": true, "cache": true, "channel_layer": true, "broker": true}``; 503 when one is down."""
    results = run_checks()
    return JsonResponse(results, status=200 if all(results.values()) else 503)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """My communities and what waits for me; for anonymous visitors, what Knooppunt is."""
    if not request.user.is_authenticated:
        return render(request, "community/home.html", {})
    user = request.user
    standings: dict[int, RoleStanding] = role_standings(user)
    memberships = list(Membership.objects.filter(user=user).select_related("community").order_by("community__name"))
    coordinated = [m.community for m in memberships if standings[m.community_id].effective == Role.COORDINATOR]
    pending_by_community: dict[int, list[Application]] = {c.pk: [] for c in coordinated}
    for application in Application.objects.filter(
        community__in=coordinated, status=ApplicationStatus.PENDING
    ).select_related("user"):
        pending_by_community[application.community_id].append(application)
    my_applications = list(
        Application.objects.filter(user=user).select_related("community").order_by("-created_at")[:10]
    )
    applied = {a.community_id for a in my_applications if a.status == ApplicationStatus.PENDING}
    open_communities = (
        Community.objects.filter(open_for_applications=True)
        .exclude(memberships__user=user)
        .exclude(pk__in=applied)
        .order_by("name")
    )
    return render(
        request,
        "community/home.html",
        {
            "memberships": [(m, standings[m.community_id]) for m in memberships],
            "invitations": invitations_for(user),
            "my_applications": my_applications,
            "open_communities": open_communities,
            "coordinated": [(c, pending_by_community[c.pk]) for c in coordinated],
            "application_form": ApplicationForm(),
            "invitation_form": InvitationForm(),
        },
    )
