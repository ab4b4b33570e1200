"""Digest pages: the archive, one digest (with the coordinators' decisions on a draft), its PDF and CSV,
a preview of the next draft, and "compile now" while DEBUG is on (embedded mode has no beat)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community import permissions
from community.models import Community, User
from community.selectors import memberships_of
from signals import digests, reports
from signals.models import Digest, DigestItem, DigestStatus


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def access_digest(user: User, pk: int) -> Digest:
    digest = Digest.objects.select_related("community__region").filter(pk=pk).first()
    if digest is None or not digests.may_see(user, digest):
        raise Http404
    return digest


def _coordinated(user: User, slug: str) -> Community:
    return permissions.access_community(user, slug, may=permissions.may_approve_digests)


@require_safe
@login_required
def digest_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    standings = memberships_of(user)
    coordinated = [m.community for m, standing in standings if standing.effective in permissions.COORDINATORS]
    context = {
        "digests": digests.digests_visible_to(user, standings).order_by("-slot", "-pk")[:200],
        "coordinated": coordinated,
        "debug": settings.DEBUG,
    }
    return render(request, "digests/list.html", context)


def _report_html(digest: Digest) -> str:
    return digest.html if digest.status != DigestStatus.DRAFT else reports.render_html(reports.report_of(digest))


@require_safe
@login_required
def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    digest = access_digest(user, pk)
    deciding = digest.status == DigestStatus.DRAFT and permissions.may_approve_digests(user, digest.community)
    context: dict[str, Any] = {
        "digest": digest,
        "report_html": _report_html(digest),
        "deciding": deciding,
        "items": list(digest.items.select_related("signal", "held_back_by").order_by("pk")) if deciding else [],
        "earlier_held_back": digests.held_back(digest.community, besides=digest) if deciding else [],
        "deliveries": (
            list(digest.deliveries.all()) if permissions.may_view_digest_drafts(user, digest.community) else []
        ),
        "day": digest.day,
    }
    return render(request, "digests/detail.html", context)


def _file_name(digest: Digest, extension: str) -> str:
    return f"knooppunt-digest-{digest.community.slug}-{digest.day.isoformat()}.{extension}"


@require_safe
@login_required
def digest_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    digest = access_digest(_user(request), pk)
    pdf = bytes(digest.pdf) if digest.status != DigestStatus.DRAFT else reports.render_pdf(reports.report_of(digest))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(digest, "pdf")}"'
    return response


@require_safe
@login_required
def digest_csv(request: HttpRequest, pk: int) -> HttpResponse:
    digest = access_digest(_user(request), pk)
    text = digest.csv if digest.status != DigestStatus.DRAFT else reports.render_csv(reports.report_of(digest))
    # A byte-order mark, so spreadsheet programs read the UTF-8 (Arabic, accents) as UTF-8.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(digest, "csv")}"'
    return response


@require_safe
@login_required
def digest_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """What the next draft would hold if it were compiled now (nothing is saved)."""
    community = _coordinated(_user(request), slug)
    now = timezone.now()
    with translation.override(community.language):
        signals = [digests.snapshot_of(signal) for signal in digests.candidates(community)]
    report = reports.Report(
        community=community,
        slot=now,
        language=community.language,
        signals=signals,
        figures=digests.community_figures(community, now),
    )
    context = {
        "community": community,
        "report_html": reports.render_html(report),
        "held_back": digests.held_back(community),
        "debug": settings.DEBUG,
    }
    return render(request, "digests/preview.html", context)


def _decided(request: HttpRequest, digest: Digest, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done)
    return redirect("digest_detail", pk=digest.pk)


@require_POST
@login_required
def digest_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    digest = access_digest(user, pk)
    if not permissions.may_approve_digests(user, digest.community):
        raise PermissionDenied
    return _decided(
        request,
        digest,
        lambda: digests.digest_approve(actor=user, digest=digest),
        _("Approved: the digest is being sent to the targets."),
    )


def _item(digest: Digest, item_pk: int) -> DigestItem:
    item = DigestItem.objects.select_related("signal").filter(pk=item_pk, signal__community=digest.community).first()
    if item is None:
        raise Http404
    return item


@require_POST
@login_required
def digest_hold_back(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    user = _user(request)
    digest = access_digest(user, pk)
    item = _item(digest, item_pk)
    if item.digest_id != digest.pk:
        raise Http404
    reason = request.POST.get("reason", "")[:2000]
    return _decided(
        request,
        digest,
        lambda: digests.item_hold_back(actor=user, item=item, reason=reason),
        _("Held back: “%(title)s” stays escalated and is listed in the next draft.") % {"title": item.signal.title},
    )


@require_POST
@login_required
def digest_include(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    user = _user(request)
    digest = access_digest(user, pk)
    item = _item(digest, item_pk)
    return _decided(
        request,
        digest,
        lambda: digests.item_include(actor=user, item=item, digest=digest),
        _("“%(title)s” is in this digest.") % {"title": item.signal.title},
    )


@require_POST
@login_required
def digest_compile_now(request: HttpRequest, slug: str) -> HttpResponse:
    """Embedded mode has no beat: with DEBUG on, a coordinator compiles the draft by hand."""
    if not settings.DEBUG:
        raise Http404
    community = _coordinated(_user(request), slug)
    digest = digests.digest_compile(community, timezone.now().replace(second=0, microsecond=0))
    if digest is None:
        messages.info(request, _("Nothing to compile: no escalated signal is waiting for a digest."))
        return redirect("digest_list")
    return redirect("digest_detail", pk=digest.pk)
