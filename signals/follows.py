"""Following themes and municipalities: new signals there concern me."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from community import permissions
from community.models import Municipality, User
from signals.models import Theme
from signals.selectors import topics_followed
from signals.services import topics_follow_set


@require_http_methods(["GET", "POST"])
@login_required
def follow_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    communities = [c for c in permissions.communities_visible_to(user).select_related("region").order_by("name")
                   if permissions.may_follow(user, c)]  # fmt: skip
    themes = list(Theme.objects.all())
    if request.method == "POST":
        for community in communities:
            places = list(Municipality.objects.filter(region=community.region))
            wanted_themes = set(request.POST.getlist(f"theme-{community.pk}"))
            wanted_places = set(request.POST.getlist(f"municipality-{community.pk}"))
            topics_follow_set(
                actor=user,
                community=community,
                themes=[t for t in themes if str(t.pk) in wanted_themes],
                municipalities=[m for m in places if str(m.pk) in wanted_places],
            )
        messages.success(request, _("What you follow was saved."))
        return redirect("follow_settings")
    followed = topics_followed(user)
    sections = [
        {
            "community": community,
            "themes": [(t, (community.pk, "theme", t.pk) in followed) for t in themes],
            "municipalities": [
                (m, (community.pk, "municipality", m.pk) in followed)
                for m in Municipality.objects.filter(region=community.region)
            ],
        }
        for community in communities
    ]
    return render(request, "signals/follows.html", {"sections": sections})
