from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from community.health import run_checks
from community.models import Membership


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"database": true, "cache": true, "channel_layer": true, "broker": true}``; 503 when one is down."""
    results = run_checks()
    return JsonResponse(results, status=200 if all(results.values()) else 503)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = []
    if request.user.is_authenticated:
        memberships = list(
            Membership.objects.filter(user_id=request.user.pk).select_related("community").order_by("community__name")
        )
    return render(request, "community/home.html", {"memberships": memberships})
