from __future__ import annotations

from typing import Any

from django import forms

from notifications.models import Frequency, Kind


class PreferencesForm(forms.Form):
    """One choice per kind: immediately, in the daily or weekly summary, or never."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label, choices=Frequency.choices, widget=forms.RadioSelect
            )


class FilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "")] + list(Kind.choices), required=False)
    unread = forms.BooleanField(required=False)
