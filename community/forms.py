from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from community.models import (
    Application,
    Community,
    Language,
    Municipality,
    Organisation,
    Role,
    TargetKind,
    User,
    UserKind,
    Weekday,
    addresses_in,
)
from community.services import user_signup_complete


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form (``ACCOUNT_SIGNUP_FORM_CLASS``)."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        help_text=_("Others see this name, unless you choose a pseudonym."),
    )
    kind = forms.ChoiceField(
        label=_("I am"),
        choices=[
            (UserKind.PROFESSIONAL, _("a professional (municipality, COA, VluchtelingenWerk, …)")),
            (UserKind.STATUS_HOLDER, _("a status holder (I have a residence permit)")),
        ],
        widget=forms.RadioSelect,
        initial=UserKind.PROFESSIONAL,
    )
    preferred_language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.DUTCH)

    field_order = ["email", "display_name", "kind", "preferred_language", "password1"]

    def signup(self, request: HttpRequest, user: User) -> None:
        user_signup_complete(
            user=user,
            display_name=self.cleaned_data["display_name"],
            kind=UserKind(self.cleaned_data["kind"]),
            preferred_language=Language(self.cleaned_data["preferred_language"]),
        )


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=150)
    pseudonymous = forms.BooleanField(
        label=_("Use a pseudonym"),
        required=False,
        help_text=_("Others see your pseudonym instead of your name on everything you post."),
    )
    pseudonym_label = forms.CharField(
        label=_("Pseudonym"),
        max_length=60,
        required=False,
        help_text=_("Leave empty to be shown as a status holder or professional in your region."),
    )
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities where you work or live"),
        queryset=Municipality.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.all(), required=False)
    preferred_language = forms.ChoiceField(label=_("Language"), choices=Language.choices)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if user.is_status_holder:
            # Status holders have no organisation (PRODUCT.md).
            del self.fields["organisation"]


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(ReasonForm):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])


class ApplicationForm(forms.ModelForm[Application]):
    class Meta:
        model = Application
        fields = ["message"]
        labels = {"message": _("Why would you like to join? (optional)")}
        widgets = {"message": forms.Textarea(attrs={"rows": 3})}


class CommunitySettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    language = forms.ChoiceField(
        label=_("Language"),
        choices=Language.choices,
        help_text=_("The language of the community's digests and emails."),
    )
    min_recognitions = forms.IntegerField(
        label=_("Escalation: at least this many recognitions"), min_value=1, max_value=10000
    )
    min_municipalities = forms.IntegerField(
        label=_("Escalation: from at least this many municipalities"), min_value=1, max_value=1000
    )
    min_organisations = forms.IntegerField(
        label=_("Escalation: from at least this many organisations"), min_value=0, max_value=1000
    )
    min_status_holder_recognitions = forms.IntegerField(
        label=_("Escalation: at least this many recognitions by status holders"), min_value=0, max_value=10000
    )
    open_for_applications = forms.BooleanField(
        label=_("Open for applications"),
        required=False,
        help_text=_("People who are not a member can ask to join; a coordinator decides."),
    )
    digest_weekday = forms.TypedChoiceField(label=_("Digest: day of the week"), choices=Weekday.choices, coerce=int)
    digest_time = forms.TimeField(
        label=_("Digest: time"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Amsterdam time. The escalated signals are compiled into a draft at this moment each week."),
    )
    digest_approval = forms.BooleanField(
        label=_("Digests need a coordinator's approval"),
        required=False,
        help_text=_("Off: each draft is approved and sent at once."),
    )
    checkback_weeks = forms.IntegerField(
        label=_("Check-back: ask again after this many weeks"),
        min_value=1,
        max_value=52,
        help_text=_("After a signal is solved locally, its reporter and recognisers are asked: still a problem?"),
    )
    checkback_min_yes = forms.IntegerField(
        label=_("Check-back: reopen with at least this many “still a problem” answers"), min_value=1, max_value=1000
    )
    checkback_yes_percent = forms.IntegerField(
        label=_("Check-back: and at least this share of the answers (%)"), min_value=1, max_value=100
    )
    open_data = forms.BooleanField(
        label=_("Publish open data"),
        required=False,
        help_text=_(
            "Monthly counts per theme and municipality, without text or people and with small numbers left out, "
            "for anyone at /api/v1/open-data/signals.csv."
        ),
    )

    @classmethod
    def initial_for(cls, community: Community) -> dict[str, Any]:
        return {name: getattr(community, name) for name in cls.base_fields}


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the new token"),
        max_length=100,
        help_text=_("For example the script or system that will use it."),
    )


class DigestTargetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, help_text=_("For example the ministry or team concerned."))
    kind = forms.ChoiceField(label=_("Kind"), choices=TargetKind.choices)
    emails = forms.CharField(
        label=_("Email addresses"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("One or more, separated by commas or new lines."),
    )

    def clean_emails(self) -> str:
        addresses = addresses_in(self.cleaned_data["emails"])
        if not addresses:
            raise forms.ValidationError(_("Give at least one email address."), code="required")
        validate = EmailValidator()
        for address in addresses:
            try:
                validate(address)
            except ValidationError:
                raise forms.ValidationError(
                    _("“%(address)s” is not an email address."), code="invalid", params={"address": address}
                ) from None
        return ", ".join(addresses)
