from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

# The API takes JSON, never files: anything larger than this is refused before it is read.
# Room for the longest description (20,000 characters) even when a client escapes every
# non-ASCII character (\uXXXX, six bytes each).
API_MAX_BODY = 256 * 1024


class ApiBodyLimitMiddleware:
    """413 for an API request whose body is over the limit (CONTRACT.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > API_MAX_BODY:
                return JsonResponse({"detail": _("The request is too large."), "code": "too_large"}, status=413)
        return self.get_response(request)
