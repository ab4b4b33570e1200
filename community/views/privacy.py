"""The person's privacy rights (/settings/privacy/) and the public privacy statement (/privacy/)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from community.erasure import account_deletion_confirm, account_deletion_request, last_coordinator_of
from community.models import DeletionCode, User
from community.personal_data import personal_data_export
from community.retention import retention_periods


class DeletionCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the email"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _settings_page(request: HttpRequest, *, code_form: DeletionCodeForm | None = None) -> HttpResponse:
    user = _user(request)
    code_pending = DeletionCode.objects.filter(user=user, expires_at__gt=timezone.now()).exists()
    return render(
        request,
        "community/privacy_settings.html",
        {
            "code_pending": code_pending,
            "code_form": code_form or DeletionCodeForm(),
            "last_coordinator_of": last_coordinator_of(user),
        },
    )


@require_safe
@login_required
@never_cache
def privacy_settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request)


@require_POST
@login_required
@never_cache
def privacy_export(request: HttpRequest) -> HttpResponse:
    """Everything Knooppunt keeps about the person, as one JSON file (the same as ``manage.py export_user_data``)."""
    user = _user(request)
    document = personal_data_export(user)
    response = HttpResponse(
        json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"knooppunt-my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@login_required
def privacy_delete_request(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    try:
        account_deletion_request(actor=user, user=user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("We sent a code to your email address. Enter it below to delete your account."))
    return redirect("privacy_settings")


@require_http_methods(["POST"])
@login_required
@never_cache
def privacy_delete_confirm(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DeletionCodeForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, code_form=form)
    try:
        account_deletion_confirm(actor=user, user=user, code=form.cleaned_data["code"])
    except ValidationError as error:
        form.add_error("code", error.messages[0])
        return _settings_page(request, code_form=form)
    logout(request)
    messages.success(request, _("Your account was deleted. What you wrote stays, as written by a former member."))
    return redirect("privacy_statement")


@require_safe
def privacy_statement(request: HttpRequest) -> HttpResponse:
    """Public: what is kept, why, for how long and who sees it; the periods come from settings."""
    return render(request, "community/privacy_statement.html", {"periods": retention_periods()})
