"""The discussion on a signal's page without JavaScript: post, delete, hide/restore, key point, flag."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from community import permissions
from community.models import User
from signals import discussion, selectors
from signals.models import Message
from signals.privacy import PersonalDataFound


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _message(request: HttpRequest, signal_pk: int, pk: int) -> Message:
    signal = selectors.access_signal(_user(request), signal_pk)
    message = get_object_or_404(Message.objects.select_related("signal__community"), pk=pk, signal=signal)
    return message


@require_POST
@login_required
def message_post(request: HttpRequest, pk: int) -> HttpResponse:
    from signals.views import _detail_context  # the page this form belongs to

    user = _user(request)
    signal = selectors.access_signal(user, pk, may=permissions.may_discuss)
    body = request.POST.get("body", "").replace("\x00", "")
    try:
        message, _created = discussion.message_post(
            actor=user, signal=signal, body=body, confirmed_findings=frozenset(request.POST.getlist("confirm"))
        )
    except PersonalDataFound as found:
        context = {**_detail_context(request, signal), "draft": body, "findings": found.findings}
        return render(request, "signals/detail.html", context)
    except ValidationError as error:
        context = {**_detail_context(request, signal), "draft": body, "message_error": error.messages[0]}
        return render(request, "signals/detail.html", context)
    return redirect(f"{reverse('signal_detail', args=[signal.pk])}#message-{message.pk}")


@require_POST
@login_required
def message_action(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    user = _user(request)
    message = _message(request, pk, message_pk)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "").replace("\x00", "")[:2000]
    try:
        if action == "delete":
            discussion.message_delete(actor=user, message=message)
        elif action in {"hide", "restore"}:
            discussion.message_set_hidden(actor=user, message=message, hidden=action == "hide", reason=reason)
        elif action in {"key", "unkey"}:
            discussion.message_set_key_point(actor=user, message=message, key_point=action == "key")
        elif action == "flag":
            discussion.message_flag(actor=user, message=message, reason=reason)
            messages.success(request, _("Thank you. A moderator will look at it."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(message)


@login_required
def message_edit(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """The author's correction, within the edit window (a plain form: it works without JavaScript)."""
    user = _user(request)
    message = _message(request, pk, message_pk)
    if message.author_id != user.pk:
        raise PermissionDenied
    body, error, findings = message.body, "", []
    if request.method == "POST":
        body = request.POST.get("body", "").replace("\x00", "")
        try:
            discussion.message_edit(
                actor=user, message=message, body=body, confirmed_findings=frozenset(request.POST.getlist("confirm"))
            )
        except PersonalDataFound as found:
            findings = found.findings
        except ValidationError as error_raised:
            error = error_raised.messages[0]
        else:
            return redirect(message)
    elif not discussion.may_edit_message(user, message):
        messages.error(request, discussion.edit_window_over().messages[0])
        return redirect(message)
    context = {"signal": message.signal, "message": message, "body": body, "error": error, "findings": findings}
    return render(request, "signals/message_edit.html", context, status=400 if error or findings else 200)
