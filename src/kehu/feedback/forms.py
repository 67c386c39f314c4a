"""Web forms of the feedback pages; the rules live in the services and the model."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.feedback.models import COMPLAINT_FIELDS, ComplaintRecord
from kehu.org.forms import VersionedForm

SCORE_CHOICES = [
    (5, _("5 — very satisfied")),
    (4, _("4 — satisfied")),
    (3, _("3 — neither")),
    (2, _("2 — dissatisfied")),
    (1, _("1 — very dissatisfied")),
]


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how we handled this request?"),
        choices=SCORE_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RollupForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("Through"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The range must not end before it starts."))
        return data


class CallbackDoneForm(forms.Form):
    outcome = forms.CharField(
        label=_("Outcome of the call"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ComplaintForm(VersionedForm):
    class Meta:
        model = ComplaintRecord
        fields = COMPLAINT_FIELDS
        widgets = {
            "customer_impact": forms.Textarea(attrs={"rows": 3}),
            "handling_process": forms.Textarea(attrs={"rows": 4}),
        }

    def model_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in COMPLAINT_FIELDS}
