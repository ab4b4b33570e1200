from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from community.models import Community, Language, Municipality, User, UserKind
from signals.models import Outcome, Status, Theme


class SignalFilterForm(forms.Form):
    """The list's filters; every field optional, unknown values simply invalid (and ignored)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none(), required=False)
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all(), required=False)
    municipality = forms.ModelChoiceField(label=_("Municipality"), queryset=Municipality.objects.all(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Status.choices], required=False)
    author_kind = forms.ChoiceField(
        label=_("Reported by"), choices=[("", _("Anyone")), *UserKind.choices], required=False
    )
    ordering = forms.ChoiceField(
        label=_("Sort by"),
        choices=[("active", _("Most active")), ("recognised", _("Most recognised")), ("newest", _("Newest"))],
        required=False,
    )

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community_field: Any = self.fields["community"]
        community_field.queryset = communities


class SignalForm(forms.Form):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())
    title = forms.CharField(label=_("Title"), max_length=140)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all())
    municipality = forms.ModelChoiceField(label=_("Municipality where it happens"), queryset=Municipality.objects.all())
    recognised_from = forms.ModelChoiceField(
        label=_("Your own municipality"),
        queryset=Municipality.objects.none(),
        required=False,
        help_text=_("Your report counts as the first recognition, from this municipality."),
    )
    language = forms.ChoiceField(label=_("Language of your text"), choices=Language.choices)

    def __init__(self, *args: Any, user: User, communities: QuerySet[Community], short: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["community"].queryset = communities
        if communities.count() == 1:
            fields["community"].initial = communities.first()
        fields["language"].initial = user.preferred_language
        own = list(user.municipalities.all())
        fields["recognised_from"].queryset = user.municipalities.all()
        if len(own) == 1:
            # Most reports are about one's own municipality: one field less to fill on a phone.
            fields["municipality"].initial = own[0]
        if len(own) <= 1:
            del self.fields["recognised_from"]
        if short:
            # Plain Dutch (B1) for status holders: short questions, an example each.
            fields["title"].label = _("What is the problem? Say it in one line.")
            fields["title"].help_text = _("For example: I have waited a year for a house.")
            fields["description"].label = _("What happened? Where? Since when?")
            fields["description"].help_text = _(
                "For example: We live in the azc with four children. The municipality says there is no house."
            )
            fields["theme"].label = _("What is it about?")
            fields["municipality"].label = _("In which municipality?")
            del self.fields["language"]


class EditSignalForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=140)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}))
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all())
    municipality = forms.ModelChoiceField(label=_("Municipality where it happens"), queryset=Municipality.objects.all())


class RecognitionForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Where do you see this?"), queryset=Municipality.objects.none(), required=False
    )
    people_affected = forms.IntegerField(
        label=_("How many people does it affect? (optional)"), min_value=1, max_value=100000, required=False
    )
    tried_locally = forms.BooleanField(label=_("We tried to solve it locally"), required=False)
    tried_locally_note = forms.CharField(
        label=_("What did you try? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["municipality"]
        field.queryset = user.municipalities.all()
        if field.queryset.count() <= 1:
            del self.fields["municipality"]


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Outcome.choices], required=False)
    on_behalf_of = forms.CharField(label=_("On whose behalf"), required=False, max_length=200)
    lesson = forms.CharField(
        label=_("How was it solved? (the lesson for other municipalities)"),
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Number of the signal to merge into"), min_value=1)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class DashboardFilterForm(forms.Form):
    """The dashboard's filters: which community (of those the person sees the dashboard of), theme, place, status."""

    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.none(), required=False, to_field_name="slug"
    )
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=Theme.objects.all(), required=False, to_field_name="slug")
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.all(), required=False, to_field_name="cbs_code"
    )
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All")), *Status.choices], required=False)

    def __init__(self, *args: Any, communities: QuerySet[Community], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        community_field: Any = self.fields["community"]
        community_field.queryset = communities
