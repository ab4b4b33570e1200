"""Member management and community settings, for the community's coordinators."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community.forms import (
    CommunitySettingsForm,
    DecisionForm,
    DigestTargetForm,
    InvitationForm,
    ReasonForm,
    RoleForm,
)
from community.joining import application_decide, invitation_create, invitation_revoke
from community.memberships import membership_change_role, membership_remove
from community.models import Application, Community, DigestTarget, Invitation, Membership, Role, User
from community.permissions import access_community, may_manage_members, may_manage_settings, may_read_audit_log
from community.selectors import audit_entries_of, members_of, open_invitations, pending_applications
from community.services import community_settings_update, digest_target_add, digest_target_remove

AUDIT_PAGE_SIZE = 50


def _actor(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@require_safe
@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_members)
    context = {
        "community": community,
        "memberships": members_of(community),
        "applications": pending_applications([community])[community.pk],
        "invitations": open_invitations(community),
        "invitation_form": InvitationForm(),
        "roles": Role.choices,
    }
    return render(request, "community/members.html", context)


@require_safe
@login_required
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    community = access_community(request.user, slug, may=may_read_audit_log)
    page = Paginator(audit_entries_of(community), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "community/audit.html", {"community": community, "page": page, "query_string": ""})


def _attempt(request: HttpRequest, slug: str, change: Callable[[], object], success: str) -> HttpResponse:
    """Make the change; say what happened (the domain's own words when it refuses); back to the page."""
    try:
        change()
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, success)
    return _back(slug)


def _back(slug: str) -> HttpResponse:
    return redirect("community_members", slug=slug)


@require_POST
@login_required
def member_invite(request: HttpRequest, slug: str) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_members)
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a valid email address and a role."))
        return _back(slug)
    email, role = form.cleaned_data["email"], Role(form.cleaned_data["role"])
    return _attempt(
        request,
        slug,
        lambda: invitation_create(actor=_actor(request), community=community, email=email, role=role),
        _("Invitation sent to %(email)s.") % {"email": email},
    )


@require_POST
@login_required
def invitation_withdraw(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_members)
    invitation = get_object_or_404(Invitation, pk=pk, community=community)
    return _attempt(
        request,
        slug,
        lambda: invitation_revoke(actor=_actor(request), invitation=invitation),
        _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email},
    )


@require_POST
@login_required
def application_decision(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_members)
    application = get_object_or_404(Application.objects.select_related("user"), pk=pk, community=community)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or decline; a reason has at most 1,000 characters."))
        return _back(slug)
    approve, reason = form.cleaned_data["decision"] == "approve", form.cleaned_data["reason"]
    success = _("%(name)s is now a member.") if approve else _("The application of %(name)s was declined.")
    return _attempt(
        request,
        slug,
        lambda: application_decide(actor=_actor(request), application=application, approve=approve, reason=reason),
        success % {"name": application.user.display_name},
    )


@require_POST
@login_required
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_members)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, community=community)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
        return _back(slug)
    role = Role(form.cleaned_data["role"])
    return _attempt(
        request,
        slug,
        lambda: membership_change_role(actor=_actor(request), membership=membership, role=role),
        _("The role of %(name)s was changed.") % {"name": membership.user.display_name},
    )


@require_POST
@login_required
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_members)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=pk, community=community)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reason has at most 1,000 characters."))
        return _back(slug)
    reason = form.cleaned_data["reason"]
    return _attempt(
        request,
        slug,
        lambda: membership_remove(actor=_actor(request), membership=membership, reason=reason),
        _("%(name)s is no longer a member.") % {"name": membership.user.display_name},
    )


@require_http_methods(["GET", "POST"])
@login_required
def community_settings(request: HttpRequest, slug: str) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_settings)
    form = CommunitySettingsForm(request.POST or None, initial=CommunitySettingsForm.initial_for(community))
    if request.method == "POST" and form.is_valid():
        community_settings_update(actor=_actor(request), community=community, **form.cleaned_data)
        messages.success(request, _("The settings were saved."))
        return redirect("community_settings", slug=slug)
    return _settings_page(request, community, form, DigestTargetForm())


def _settings_page(
    request: HttpRequest, community: Community, form: CommunitySettingsForm, target_form: DigestTargetForm
) -> HttpResponse:
    context = {
        "community": community,
        "form": form,
        "target_form": target_form,
        "targets": list(community.digest_targets.all()),
    }
    return render(request, "community/settings.html", context, status=400 if target_form.errors else 200)


@require_POST
@login_required
def digest_target_new(request: HttpRequest, slug: str) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_settings)
    target_form = DigestTargetForm(request.POST)
    if target_form.is_valid():
        try:
            digest_target_add(actor=_actor(request), community=community, **target_form.cleaned_data)
        except ValidationError as error:
            target_form.add_error("name", error.messages[0])
        else:
            messages.success(request, _("The target was added."))
            return redirect("community_settings", slug=slug)
    settings_form = CommunitySettingsForm(initial=CommunitySettingsForm.initial_for(community))
    return _settings_page(request, community, settings_form, target_form)


@require_POST
@login_required
def digest_target_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    community = access_community(request.user, slug, may=may_manage_settings)
    digest_target_remove(actor=_actor(request), target=get_object_or_404(DigestTarget, pk=pk, community=community))
    messages.success(request, _("The target was removed."))
    return redirect("community_settings", slug=slug)
