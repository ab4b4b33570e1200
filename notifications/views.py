"""The notification centre, email preferences and the one-click unsubscribe link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from community.models import User
from notifications import services
from notifications.forms import FilterForm, PreferencesForm
from notifications.models import Frequency, Kind, Notification

PAGE_SIZE = 30


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("notifications:list")


@require_http_methods(["GET"])
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    filters = FilterForm(request.GET)
    notifications = Notification.objects.filter(recipient=user).select_related("community")
    if filters.is_valid():
        if filters.cleaned_data["kind"]:
            notifications = notifications.filter(kind=filters.cleaned_data["kind"])
        if filters.cleaned_data["unread"]:
            notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "filters": filters, "kinds": Kind.choices, "query": query.urlencode()},
    )


@require_POST
@login_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        services.notification_read(user=user, pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return _back(request)


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    done = services.notifications_read_all(user=user)
    if done:
        messages.success(request, _("All notifications are marked read."))
    return _back(request)


@require_http_methods(["GET", "POST"])
@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    current = services.preferences_of(user)
    form = PreferencesForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        services.preferences_set(user=user, frequencies=form.cleaned_data)
        messages.success(request, _("Your email choices were saved."))
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form, "frequencies": Frequency.choices})


@require_POST
@login_required
def mail_state(request: HttpRequest) -> HttpResponse:
    """Switch mail on again after it bounced, or put the notice about it away."""
    user: User = request.user  # type: ignore[assignment]
    if request.POST.get("action") == "on":
        services.mail_switch_on(user=user)
        messages.success(request, _("We will send you email again."))
    else:
        services.mail_notice_seen(user=user)
    return _back(request)


@csrf_exempt  # RFC 8058: the mail program POSTs without a session; the signed token is the authority
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks for confirmation (link scanners follow links); POST unsubscribes, from the page or the mail
    program's one-click button."""
    found = services.unsubscribe_read(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    _person, kinds = found
    labels = [Kind(kind).label for kind in kinds]
    if request.method == "POST":
        services.unsubscribe(token)
        return render(request, "notifications/unsubscribe.html", {"done": True, "labels": labels})
    return render(request, "notifications/unsubscribe.html", {"labels": labels, "token": token})
