"""Accepting an invitation, applying to a community."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from community.forms import ApplicationForm
from community.joining import (
    application_submit,
    email_hint,
    invitation_accept,
    invitation_for_token,
    invitations_for,
)
from community.models import Community, User


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens: sign in (or sign up), then accept."""
    found = invitation_for_token(token)
    if found is None:
        raise Http404
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        user: User = request.user
        try:
            membership = invitation_accept(user=user, invitation=found)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(request.path)
        messages.success(request, _("Welcome to %(community)s.") % {"community": membership.community.name})
        return redirect("home")
    return render(
        request,
        "community/invitation.html",
        {"invitation": found, "email_hint": email_hint(found.email), "next": request.path},
    )


@require_POST
@login_required
def invitation_accept_mine(request: HttpRequest, pk: int) -> HttpResponse:
    """Accept an invitation listed on the home page (sent to one of my verified addresses)."""
    user: User = request.user  # type: ignore[assignment]
    found = next((i for i in invitations_for(user) if i.pk == pk), None)
    if found is None:
        raise Http404
    try:
        membership = invitation_accept(user=user, invitation=found)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Welcome to %(community)s.") % {"community": membership.community.name})
    return redirect("home")


@require_POST
@login_required
def community_apply(request: HttpRequest, slug: str) -> HttpResponse:
    community = get_object_or_404(Community, slug=slug, open_for_applications=True)
    form = ApplicationForm(request.POST)
    if form.is_valid():
        try:
            application_submit(user=request.user, community=community, message=form.cleaned_data["message"])  # type: ignore[arg-type]
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(
                request,
                _("Your application to %(community)s has been sent. A coordinator will decide.")
                % {"community": community.name},
            )
    else:
        messages.error(request, _("Your message is too long (at most 1,000 characters)."))
    return redirect("home")
