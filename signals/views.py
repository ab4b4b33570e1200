"""Signal pages: list, detail, report, and the actions on a signal. Thin: parse, authorise, call, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community import permissions
from community.models import Community, Language, User
from community.people import public_name
from notifications.services import notifications_read_subject
from signals import checkbacks, recipients, selectors, services
from signals.discussion import may_edit_message
from signals.forms import (
    EditSignalForm,
    MergeForm,
    ReasonForm,
    RecognitionForm,
    SignalFilterForm,
    SignalForm,
    TransitionForm,
)
from signals.models import DigestItem, Follow, Message, Outcome, Recognition, Signal, Status
from signals.privacy import PersonalDataFound
from signals.search import search, similar_signals
from signals.workflow import moves_available, signal_transition

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _text(value: str | None, limit: int) -> str:
    """Free text from a query: at most ``limit`` characters, no NUL (PostgreSQL refuses it)."""
    return (value or "").replace("\x00", "")[:limit]


def _reporting_communities(user: User) -> Any:
    everything, _reported_only = permissions.signal_scopes(user)
    return Community.objects.filter(pk__in=everything).order_by("name")


@require_safe
@login_required
def signal_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    communities = permissions.communities_visible_to(user).order_by("name")
    form = SignalFilterForm(request.GET, communities=communities)  # bound even when empty: all optional
    signals = selectors.listed(selectors.signals_visible_to(user))
    form.is_valid()  # a stale or odd value drops only that filter: the valid ones still apply
    data = {name: form.cleaned_data.get(name) for name in form.fields}
    lookups = {name: data[name] for name in ("community", "theme", "municipality", "status")}
    signals = selectors.signals_filtered(
        signals.select_related("community", "theme", "municipality"),
        lookups={**lookups, "author__kind": data["author_kind"]},
        query=data["q"] or "",
        ordering=data["ordering"] or "",
    )
    page = Paginator(signals, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "signals/list.html",
        {"form": form, "page": page, "query_string": params.urlencode()},
    )


# Statuses a signal with an answer can have (the others cannot have one yet).
ANSWERABLE = frozenset({Status.ANSWERED, Status.CLOSED})


def _upto(request: HttpRequest) -> int | None:
    """The discussion window asked for (``?upto=<message id>``); anything else, or an htmx swap after a
    change, shows the latest messages."""
    upto = request.GET.get("upto", "")
    if request.htmx or not (upto.isascii() and upto.isdecimal() and len(upto) <= 18):  # type: ignore[attr-defined]
        return None
    return int(upto)


def _detail_context(request: HttpRequest, signal: Signal, error: str = "") -> dict[str, Any]:
    user = _user(request)
    community = signal.community
    page = selectors.discussion_page(signal, upto=_upto(request))
    discussion_items = page.items
    events = list(signal.events.select_related("related_signal").order_by("created_at", "pk"))
    return {
        "signal": signal,
        "author_name": public_name(signal.author, community),
        **selectors.recognition_figures(signal, events),
        "events": events,
        "error": error,
        "lesson": getattr(signal, "lesson", None),
        "answers": list(signal.answers.select_related("recorded_by")) if signal.status in ANSWERABLE else [],
        "check_back": (checkbacks.open_question(user, signal) if signal.status == Status.RESOLVED_LOCALLY else None),
        # Left out of a digest by a coordinator: its followers see why (PRODUCT.md, digest reports).
        "held_back": (
            DigestItem.objects.filter(signal=signal, held_back=True).select_related("digest").first()
            if signal.status == Status.ESCALATED
            else None
        ),
        "recognised": Recognition.objects.filter(signal=signal, user=user).exists(),
        "following": Follow.objects.filter(signal=signal, user=user).exists(),
        "may_follow": permissions.may_follow(user, community),
        "may_recognise": permissions.may_recognise(user, community) and signal.status in services.RECOGNISABLE,
        "is_author": signal.author_id == user.pk,
        "recognition_form": RecognitionForm(user=user),
        "moves": moves_available(user, signal),
        "may_edit": services.may_edit(user, signal),
        "may_moderate": permissions.may_moderate(user, community),
        "may_merge": permissions.may_merge_signals(user, community) and signal.status == Status.OPEN,
        "may_reveal": permissions.may_reveal_pseudonym(user, community)
        and bool(signal.author and signal.author.pseudonymous),
        "outcomes": Outcome.choices,
        "discussion": discussion_items,
        "discussion_page": page,
        # Own messages still in their edit window (0: the stand-in of the live-message actions below).
        "editable_ids": {0} | {i.message.pk for i in discussion_items if may_edit_message(user, i.message)},
        "placeholder_mine": Message(pk=0, signal=signal, author=user),
        "placeholder_others": Message(pk=0, signal=signal),
        "may_discuss": permissions.may_discuss(user, community) and signal.status != Status.MERGED,
        "may_flag": permissions.may_flag(user, community),
        "may_mark_key_points": permissions.may_mark_key_points(user, community),
    }


@require_safe
@login_required
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    with permissions.remembering_roles():  # a read-only page asks many role questions
        signal = selectors.access_signal(_user(request), pk)
        if signal.status == Status.MERGED and signal.merged_into_id:
            return redirect("signal_detail", pk=signal.merged_into_id)
        # Opening the signal reads what the person was told about it.
        notifications_read_subject(user=_user(request), subject_key=recipients.subject_key(signal))
        return render(request, "signals/detail.html", _detail_context(request, signal))


def _back_to(request: HttpRequest, signal: Signal, partial: str, error: str = "") -> HttpResponse:
    """htmx swaps in the part that changed (with the error, if any); without JavaScript, back to the page."""
    if request.htmx:  # type: ignore[attr-defined]
        # After the change has been made: reading only, so the role answers may be remembered.
        with permissions.remembering_roles():
            fresh = selectors.access_signal(_user(request), signal.pk)
            return render(request, f"signals/detail.html#{partial}", _detail_context(request, fresh, error))
    if error:
        messages.error(request, error)
    return redirect("signal_detail", pk=signal.pk)


@require_POST
@login_required
def signal_recognise(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk, may=permissions.may_recognise)
    form = RecognitionForm(request.POST, user=user)
    if not form.is_valid():
        return _back_to(request, signal, "recognition", " ".join(str(e) for es in form.errors.values() for e in es))
    try:
        services.recognition_add(actor=user, signal=signal, **form.cleaned_data)
    except ValidationError as error:
        return _back_to(request, signal, "recognition", error.messages[0])
    return _back_to(request, signal, "recognition")


@require_POST
@login_required
def signal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk)
    try:
        services.recognition_withdraw(actor=user, signal=signal)
    except ValidationError as error:
        return _back_to(request, signal, "recognition", error.messages[0])
    return _back_to(request, signal, "recognition")


@require_POST
@login_required
def signal_follow(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk, may=permissions.may_follow)
    if request.POST.get("follow") == "off":
        services.signal_unfollow(actor=user, signal=signal)
    else:
        services.signal_follow(actor=user, signal=signal)
    return _back_to(request, signal, "follow")


@require_POST
@login_required
def signal_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return redirect("signal_detail", pk=pk)
    data = form.cleaned_data
    try:
        signal_transition(
            actor=user,
            signal=signal,
            to=Status(data["to"]),
            reason=data["reason"],
            outcome=data["outcome"],
            lesson=data["lesson"],
            on_behalf_of=data["on_behalf_of"],
        )
    except ValidationError as error:  # not a move from here, something missing, or personal data in the text
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The status is now: %(status)s.") % {"status": Status(data["to"]).label})
    return redirect("signal_detail", pk=pk)


def _confirmed(request: HttpRequest) -> frozenset[str]:
    return frozenset(request.POST.getlist("confirm"))


@require_http_methods(["GET", "POST"])
@login_required
def signal_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    communities = _reporting_communities(user)
    if not communities.exists():
        raise PermissionDenied
    short = user.is_status_holder and request.GET.get("form") != "full"
    form = SignalForm(request.POST or None, user=user, communities=communities, short=short)
    findings: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signal = services.signal_create(
                actor=user,
                community=data["community"],
                title=data["title"],
                description=data["description"],
                theme=data["theme"],
                municipality=data["municipality"],
                language=Language(data.get("language") or user.preferred_language),
                recognised_from=data.get("recognised_from"),
                confirmed_findings=_confirmed(request),
            )
        except PersonalDataFound as found:
            findings = found.findings
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you. Your signal has been reported."))
            return redirect("signal_detail", pk=signal.pk)
    return render(request, "signals/new.html", {"form": form, "short": short, "findings": findings})


@require_POST
@login_required
def signal_similar(request: HttpRequest) -> HttpResponse:
    """While a report is typed: up to five signals of that community that look the same.

    POST although it changes nothing: the draft must not travel in a URL (and so into access logs).
    """
    user = _user(request)
    everything, _reported_only = permissions.signal_scopes(user)
    try:
        community_id = int(request.POST.get("community", ""))
    except ValueError:
        community_id = 0
    suggestions: list[Signal] = []
    if community_id in everything:
        visible = selectors.listed(selectors.signals_visible_to(user)).filter(community_id=community_id)
        suggestions = similar_signals(
            visible, _text(request.POST.get("title"), 200), _text(request.POST.get("description"), 2000)
        )
    return render(request, "signals/similar.html", {"suggestions": suggestions})


@require_http_methods(["GET", "POST"])
@login_required
def signal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk)
    if not services.may_edit(user, signal):
        raise PermissionDenied
    initial = {f: getattr(signal, f) for f in ("title", "description", "theme", "municipality")}
    form = EditSignalForm(request.POST or None, initial=initial)
    findings: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.signal_edit(actor=user, signal=signal, confirmed_findings=_confirmed(request), **form.cleaned_data)
        except PersonalDataFound as found:
            findings = found.findings
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The signal was changed."))
            return redirect("signal_detail", pk=pk)
    return render(request, "signals/edit.html", {"form": form, "signal": signal, "findings": findings})


@require_POST
@login_required
def signal_visibility(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk, may=permissions.may_moderate)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why."))
        return redirect("signal_detail", pk=pk)
    change = services.signal_restore if request.POST.get("hidden") == "off" else services.signal_hide
    change(actor=user, signal=signal, reason=form.cleaned_data["reason"])
    messages.success(request, _("Done."))
    return redirect("signal_detail", pk=pk)


@require_POST
@login_required
def signal_merge(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    source = selectors.access_signal(user, pk, may=permissions.may_merge_signals)
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the number of the signal to merge into."))
        return redirect("signal_detail", pk=pk)
    try:
        target = selectors.access_signal(user, form.cleaned_data["target"])
        survivor = services.signal_merge(actor=user, source=source, target=target, reason=form.cleaned_data["reason"])
    except Http404:
        messages.error(request, _("There is no such signal in your communities."))
        return redirect("signal_detail", pk=pk)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("signal_detail", pk=pk)
    messages.success(request, _("The signals were merged."))
    return redirect("signal_detail", pk=survivor.pk)


@require_POST
@login_required
def signal_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    signal = selectors.access_signal(user, pk, may=permissions.may_reveal_pseudonym)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you need to know."))
        return redirect("signal_detail", pk=pk)
    author = services.signal_author_reveal(actor=user, signal=signal, reason=form.cleaned_data["reason"])
    return render(request, "signals/revealed.html", {"signal": signal, "author": author})


@require_safe
@login_required
def lessons(request: HttpRequest) -> HttpResponse:
    """Signals solved locally, with what solved them: for other municipalities to learn from."""
    user = _user(request)
    solved = (
        selectors.listed(selectors.signals_visible_to(user))
        .filter(lesson__isnull=False, status__in=[Status.RESOLVED_LOCALLY, Status.CLOSED])
        .select_related("lesson", "community", "theme", "municipality")
    )
    query = _text(request.GET.get("q"), 200).strip()
    if query:
        solved = solved.filter(Q(pk__in=search(solved, query).values("pk")) | Q(lesson__text__icontains=query))
    solved = solved.order_by("-lesson__created_at")
    page = Paginator(solved, PAGE_SIZE).get_page(request.GET.get("page"))
    query_string = urlencode({"q": query}) if query else ""
    return render(request, "signals/lessons.html", {"page": page, "q": query, "query_string": query_string})
