"""Answering a check-back: one click from the email (a signed link, no sign-in), or on the signal page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.models import User
from signals import checkbacks, selectors


def _note(request: HttpRequest) -> str:
    return request.POST.get("note", "")[:2000]


@require_http_methods(["GET", "POST"])
def check_back_answer(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email. GET shows the answer the link stands for in a form that the page's script sends
    at once (so one click records it, while a mail scanner that opens links without running scripts records
    nothing); POST records it, or adds the note to an answer given. In the person's language."""
    found = checkbacks.token_read(token)
    if found is None:
        raise Http404
    answer, still_a_problem = found
    signal = answer.check_back.signal
    if not checkbacks.may_answer(answer.user, signal):
        raise Http404  # hidden since, or the person left: not even the title is shown
    error, recorded = "", False
    if request.method == "POST":
        try:
            if answer.answered_at is None:
                recorded = checkbacks.checkback_answer(
                    answer=answer, still_a_problem=still_a_problem, note=_note(request)
                )
            elif checkbacks.checkback_note(answer=answer, note=_note(request)):
                messages.success(request, _("Thank you: your note was added."))
        except ValidationError as problem:
            error = problem.messages[0]
        answer.refresh_from_db()
    context = {
        "answer": answer,
        "signal": signal,
        "choice": still_a_problem,
        "recorded": recorded,
        "error": error,
        "closed": answer.check_back.closed_at is not None,
    }
    with translation.override(answer.user.preferred_language):
        return render(request, "signals/check_back.html", context)


@require_POST
@login_required
def signal_check_back(request: HttpRequest, pk: int) -> HttpResponse:
    """The same question, answered by a signed-in person on the signal's page."""
    user: User = request.user  # type: ignore[assignment]
    signal = selectors.access_signal(user, pk)
    question = checkbacks.open_question(user, signal)
    if question is None:
        raise Http404
    choice = request.POST.get("answer")
    if choice not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
        return redirect("signal_detail", pk=pk)
    try:
        checkbacks.checkback_answer(answer=question, still_a_problem=choice == "yes", note=_note(request))
    except ValidationError as problem:
        messages.error(request, problem.messages[0])
    else:
        messages.success(request, _("Thank you for your answer."))
    return redirect("signal_detail", pk=pk)
