"""Where browsers report what our Content Security Policy blocked (its ``report-uri``).

A report means either an attack stopped by the policy or a page of ours that breaks it; both are worth a
warning in the log. The report says which page and what was blocked; the log keeps the directive and the
blocked origin only (a page address can name a person's signal, a blocked URL can carry a query), and
never the sample of blocked code, which may quote what someone wrote.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from community.ratelimit import client_ip, rate_limit_hit

logger = logging.getLogger(__name__)

MAX_REPORT_BYTES = 16 * 1024  # a report is well under 2 KiB; a batch of report-to reports a few
REPORTS_PER_MINUTE = 60  # per client address: one page with a broken policy makes a handful
CONTENT_TYPES = ("application/csp-report", "application/json", "application/reports+json")


def _origin(uri: object) -> str:
    """``inline``, ``eval``, ``data`` as the browser says them; of a URL only its scheme and host."""
    text = str(uri or "")[:200]
    parts = urlsplit(text)
    if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
        return f"{parts.scheme}://{parts.hostname or ''}"
    return parts.scheme or text.split(":", 1)[0][:20]


def _violations(payload: Any) -> list[tuple[str, str]]:
    """(directive, blocked origin) of each report: ``report-uri``'s ``{"csp-report": {…}}`` or
    ``report-to``'s list of ``{"type": "csp-violation", "body": {…}}``."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        report = payload["csp-report"]
        directive = report.get("effective-directive") or report.get("violated-directive")
        return [(str(directive or "?")[:60], _origin(report.get("blocked-uri")))]
    if isinstance(payload, list):
        found = []
        for entry in payload:
            if isinstance(entry, dict) and entry.get("type") == "csp-violation" and isinstance(entry.get("body"), dict):
                body = entry["body"]
                found.append((str(body.get("effectiveDirective") or "?")[:60], _origin(body.get("blockedURL"))))
        return found
    return []


@csrf_exempt  # browsers send reports without our token; the view changes nothing
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """204 for a report (logged as a warning); 400 for what is not one, 413 when too large, 429 when flooded."""
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if declared > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    if not rate_limit_hit("csp.report", client_ip(request), limit=REPORTS_PER_MINUTE, period=60).allowed:
        return HttpResponse(status=429, headers={"Retry-After": "60"})
    if request.content_type not in CONTENT_TYPES:
        return HttpResponse(status=400)
    body = request.read(MAX_REPORT_BYTES + 1)
    if len(body) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        violations = _violations(json.loads(body))
    except (ValueError, RecursionError):
        return HttpResponse(status=400)
    if not violations:
        return HttpResponse(status=400)
    for directive, blocked in violations:
        logger.warning("Content Security Policy violation: %s blocked %s", directive, blocked)
    return HttpResponse(status=204)
