"""/dashboard/: a community's signals in figures, for its coordinators and liaisons (404 for anyone else)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from community import permissions
from community.models import Community, User
from community.selectors import memberships_of
from signals import dashboard
from signals.forms import DashboardFilterForm


def _chosen(request: HttpRequest) -> tuple[Community, DashboardFilterForm, Any]:
    user: User = request.user  # type: ignore[assignment]
    communities = [m.community for m, standing in memberships_of(user) if standing.effective in permissions.ANSWERERS]
    if not communities:
        raise Http404
    form = DashboardFilterForm(
        request.GET, communities=Community.objects.filter(pk__in=[c.pk for c in communities]).order_by("name")
    )
    form.is_valid()  # an odd value drops only that filter
    data = form.cleaned_data
    community = data.get("community") or communities[0]
    lookups = {"theme": data.get("theme"), "municipality": data.get("municipality"), "status": data.get("status")}
    return community, form, dashboard.dashboard_signals(user, community, lookups)


@require_safe
@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    community, form, signals = _chosen(request)
    figures = dashboard.figures_of(signals, community)
    context = {
        "community": community,
        "form": form,
        "figures": figures,
        "charts": figures.charts(),
        "signals": signals.select_related("theme", "municipality")[:50],
        "query_string": request.GET.urlencode(),
    }
    return render(request, "signals/dashboard.html", context)


@require_safe
@login_required
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    community, _form, signals = _chosen(request)
    response = HttpResponse("\ufeff" + dashboard.signals_csv(signals), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="knooppunt-signals-{community.slug}.csv"'
    return response
