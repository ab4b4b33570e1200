"""The person's own settings: profile and personal API tokens."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from community.forms import ApiTokenForm, ProfileForm
from community.middleware import set_language_cookie
from community.models import ApiToken, User
from community.services import profile_update
from community.tokens import api_token_create, api_token_revoke


def _settings_page(request: HttpRequest, user: User, form: ProfileForm, *, new_key: str | None = None) -> HttpResponse:
    return render(
        request,
        "community/account_settings.html",
        {
            "form": form,
            "token_form": ApiTokenForm(),
            "tokens": ApiToken.objects.filter(user=user, revoked_at=None),
            "new_key": new_key,
        },
    )


def _profile_initial(user: User) -> dict[str, object]:
    return {
        "display_name": user.display_name,
        "pseudonymous": user.pseudonymous,
        "pseudonym_label": user.pseudonym_label,
        "municipalities": list(user.municipalities.all()),
        "organisation": user.organisation,
        "preferred_language": user.preferred_language,
    }


@require_http_methods(["GET", "POST"])
@login_required
def account_settings(request: HttpRequest) -> HttpResponseBase:
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST or None, user=user, initial=_profile_initial(user))
    if request.method == "POST" and form.is_valid():
        profile_update(actor=user, user=user, **form.cleaned_data)
        messages.success(request, _("Your settings were saved."))
        translation.activate(user.preferred_language)
        return set_language_cookie(redirect("account_settings"), user.preferred_language)
    return _settings_page(request, user, form)


@require_POST
@login_required
@reauthentication_required  # type: ignore[untyped-decorator]
@never_cache
def api_token_new(request: HttpRequest) -> HttpResponse:
    """A new token lends the person's rights to a script: allauth asks for the password
    (or code, or second factor) again first, like for adding a second factor."""
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name."))
        return redirect("account_settings")
    try:
        _token, key = api_token_create(user=user, name=form.cleaned_data["name"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("account_settings")
    # Shown in this response only (not cached); the key is not stored and cannot be shown again.
    return _settings_page(request, user, ProfileForm(user=user, initial=_profile_initial(user)), new_key=key)


@require_POST
@login_required
def api_token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if api_token_revoke(user=user, token_id=pk):
        messages.success(request, _("The token was revoked; it no longer works."))
    else:
        messages.error(request, _("There is no such token."))
    return redirect("account_settings")
