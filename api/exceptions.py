"""Every API error as ``{"detail": "…", "code": "…"}`` with the status CONTRACT.md names."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from signals.limits import TooMany
from signals.privacy import PersonalDataFound

# Refusals that say "not in the signal's present state", not "your input is wrong".
CONFLICTS = frozenset({"illegal_transition", "already_recognised", "not_recognisable", "target_unavailable"})


def _domain_error(error: DjangoValidationError) -> Response:
    code = getattr(error, "code", None) or "invalid"
    body: dict[str, Any] = {"detail": " ".join(error.messages), "code": code}
    if isinstance(error, PersonalDataFound):
        body["findings"] = [finding.as_dict() for finding in error.findings]
    if isinstance(error, TooMany):  # a posting limit of the domain: the same 429 as the write throttle
        return Response(body, status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(error.retry_after)})
    conflict = code in CONFLICTS
    return Response(body, status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST)


def api_exception_handler(error: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(error, DjangoValidationError):
        return _domain_error(error)
    if isinstance(error, Http404):
        error = exceptions.NotFound(_("Not found, or not in your communities."))
    elif isinstance(error, DjangoPermissionDenied):
        error = exceptions.PermissionDenied()
    response = exception_handler(error, context)
    if response is None:
        return None
    if isinstance(error, exceptions.ValidationError):
        response.data = {"detail": _("Some values are not valid."), "code": "invalid", "errors": response.data}
    elif isinstance(error, exceptions.APIException):
        detail = error.detail
        response.data = {
            "detail": str(detail) if not isinstance(detail, dict | list) else _("The request failed."),
            "code": error.get_codes() if isinstance(error.get_codes(), str) else error.default_code,
        }
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Something went wrong on our side."), "code": "server_error"}, status=500)
    return defaults.server_error(request)


@csrf_exempt  # it changes nothing; a POST with a session cookie gets the same JSON 404, not an HTML 403
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/: the contract's 404, not an HTML page."""
    return JsonResponse({"detail": _("Not found, or not in your communities."), "code": "not_found"}, status=404)
