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
from signals.models import Follow, Theme
from signals.services import follow_topic, unfollow_topic


@require_http_methods(["GET", "POST"])
@login_required
def follow_settings(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    communities = [c for c in permissions.communities_visible_to(user).select_related("region").order_by("name")
                   if permissions.may_follow(user, c)]  # fmt: skip
    themes = list(Theme.objects.all())
    if request.method == "POST":
        for community in communities:
            municipalities = Municipality.objects.filter(region=community.region)
            wanted_themes = set(request.POST.getlist(f"theme-{community.pk}"))
            wanted_places = set(request.POST.getlist(f"municipality-{community.pk}"))
            for theme in themes:
                if str(theme.pk) in wanted_themes:
                    follow_topic(actor=user, community=community, theme=theme)
                else:
                    unfollow_topic(actor=user, community=community, theme=theme)
            for municipality in municipalities:
                if str(municipality.pk) in wanted_places:
                    follow_topic(actor=user, community=community, municipality=municipality)
                else:
                    unfollow_topic(actor=user, community=community, municipality=municipality)
        messages.success(request, _("What you follow was saved."))
        return redirect("follow_settings")
    follows = Follow.objects.filter(user=user, signal=None)
    followed = {(f.community_id, "theme", f.theme_id) for f in follows if f.theme_id} | {
        (f.community_id, "municipality", f.municipality_id) for f in follows if f.municipality_id
    }
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
