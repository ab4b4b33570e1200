from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from community.health import run_checks


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """``{"database": true, "cache": true, "channel_layer": true, "broker": true}``; 503 when one is down."""
    results = run_checks()
    return JsonResponse(results, status=200 if all(results.values()) else 503)
