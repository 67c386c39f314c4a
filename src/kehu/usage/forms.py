"""Forms of the usage pages: they parse input; the rules are in ``services`` and ``swings``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.usage.models import Product, SwingAlert, SwingRule


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)


class ProductForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Product
        fields = ["code", "name", "name_en", "unit", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class SwingRuleForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SwingRule
        fields = [
            "name",
            "metric",
            "baseline",
            "baseline_weeks",
            "threshold_percent",
            "product",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.order_by("code")  # type: ignore[attr-defined]
        self.fields["product"].empty_label = _("Every product")  # type: ignore[attr-defined]
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *SwingAlert.Status.choices],
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.order_by("code")
    )
    rule = forms.ModelChoiceField(
        label=_("Rule"), required=False, queryset=SwingRule.objects.order_by("name")
    )


class AcknowledgeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), max_length=500, required=False, widget=forms.TextInput()
    )


class LongTermForm(forms.Form):
    long = forms.ChoiceField(
        label=_("Long term by"),
        required=False,
        choices=[("week", _("Week")), ("month", _("Month"))],
    )
