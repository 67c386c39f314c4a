"""Forms of the segment pages: they parse input; the rules are in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Segment
from kehu.org.forms import VersionedForm
from kehu.segments.models import SegmentRule
from kehu.segments.services import MAX_REASON, RULE_FIELDS


class RuleForm(VersionedForm):
    class Meta:
        model = SegmentRule
        fields = list(RULE_FIELDS)

    def model_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in RULE_FIELDS}


class OverrideForm(forms.Form):
    segment = forms.ChoiceField(label=_("Segment"), choices=Segment.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the rules' segment does not fit this account."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class WithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
