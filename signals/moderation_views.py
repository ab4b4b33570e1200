"""The moderation queue's pages (no JavaScript needed), and flagging a signal from its page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from community import permissions
from community.models import User
from signals import moderation, selectors
from signals.models import Message, Signal

REASON_MAX = 2000


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").replace("\x00", "")[:REASON_MAX]


def access_flagged(user: User, kind: str, pk: int) -> moderation.Subject:
    """The message or signal if it belongs to a community where the person handles flags; 404 otherwise."""
    community_ids = [c.pk for c in moderation.communities_handling_flags(user)]
    subject: moderation.Subject | None
    if kind == "message":
        subject = (
            Message.objects.select_related("signal__community")
            .filter(pk=pk, signal__community_id__in=community_ids)
            .first()
        )
    elif kind == "signal":
        subject = Signal.objects.select_related("community").filter(pk=pk, community_id__in=community_ids).first()
    else:
        subject = None
    if subject is None:
        raise Http404
    return subject


@require_safe
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    communities = moderation.communities_handling_flags(user)
    if not communities:
        raise PermissionDenied
    items = moderation.flags_open_in(communities, limit=moderation.QUEUE_LIMIT + 1)
    return render(
        request,
        "signals/moderation.html",
        {
            "communities": communities,
            "items": items[: moderation.QUEUE_LIMIT],
            "more": len(items) > moderation.QUEUE_LIMIT,
        },
    )


@require_POST
@login_required
def queue_action(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    user = _user(request)
    subject = access_flagged(user, kind, pk)
    action = request.POST.get("action", "")
    try:
        if action == "hide":
            moderation.flag_hide(actor=user, subject=subject, reason=_reason(request))
            messages.success(request, _("Hidden. Its flags are handled."))
        elif action == "dismiss":
            moderation.flags_dismiss(actor=user, subject=subject, reason=_reason(request))
            messages.success(request, _("Flags dismissed. It stays visible."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("moderation")


@require_POST
@login_required
def signal_flag(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk, may=permissions.may_flag)
    try:
        moderation.signal_flag(actor=user, signal=signal, reason=_reason(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Thank you. A moderator will look at it."))
    return redirect("signal_detail", pk=signal.pk)
