"""Forms of the pipeline pages; the rules themselves live in the models and services."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Account
from kehu.org.models import Department, Employee
from kehu.pipeline.models import (
    DEFAULT_CURRENCY,
    LeadSource,
    LeadStatus,
    Opportunity,
    Outcome,
    Stage,
    Threat,
    WinLossReason,
)
from kehu.relations.models import BuyingRoleKind, Person, Stance

DATE = forms.DateInput(attrs={"type": "date"})


def _employees() -> Any:
    return (
        Employee.objects.filter(is_active=True).select_related("department").order_by("name_pinyin")
    )


class OpportunityForm(forms.Form):
    account = forms.ModelChoiceField(label=_("account"), queryset=Account.objects.none())
    name = forms.CharField(label=_("name"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea, required=False)
    amount = forms.DecimalField(label=_("amount"), max_digits=16, decimal_places=2, min_value=0)
    currency = forms.CharField(label=_("currency"), max_length=3, initial=DEFAULT_CURRENCY)
    expected_close = forms.DateField(label=_("expected close"), widget=DATE)
    ar = forms.ModelChoiceField(
        label=_("account manager (AR)"), queryset=Employee.objects.none(), required=False
    )
    sr = forms.ModelChoiceField(
        label=_("solution manager (SR)"), queryset=Employee.objects.none(), required=False
    )
    fr = forms.ModelChoiceField(
        label=_("fulfilment manager (FR)"), queryset=Employee.objects.none(), required=False
    )
    members = forms.ModelMultipleChoiceField(
        label=_("team members"), queryset=Employee.objects.none(), required=False
    )
    probability_override = forms.IntegerField(
        label=_("probability override (%)"), min_value=0, max_value=100, required=False
    )
    probability_reason = forms.CharField(
        label=_("reason for the probability"), widget=forms.Textarea, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, opportunity: Opportunity | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("ar", "sr", "fr", "members"):
            self.fields[name].queryset = _employees()  # type: ignore[attr-defined]
        if opportunity is None:
            self.fields["account"].queryset = Account.objects.filter(  # type: ignore[attr-defined]
                is_active=True
            ).order_by("name_pinyin")
            del self.fields["version"]
            del self.fields["probability_override"]
            del self.fields["probability_reason"]
        else:
            del self.fields["account"]


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(label=_("stage"), queryset=Stage.objects.filter(is_active=True))
    version = forms.IntegerField(widget=forms.HiddenInput)
    win_loss_reason = forms.ChoiceField(
        label=_("win/loss reason"), choices=[("", "—"), *WinLossReason.choices], required=False
    )
    win_loss_notes = forms.CharField(
        label=_("win/loss notes"), widget=forms.Textarea, required=False
    )


class RoleForm(forms.Form):
    person = forms.ModelChoiceField(label=_("person"), queryset=Person.objects.none())
    role = forms.ChoiceField(label=_("buying role"), choices=BuyingRoleKind.choices)
    stance = forms.ChoiceField(label=_("stance"), choices=Stance.choices, initial=Stance.NEUTRAL)
    remove = forms.BooleanField(label=_("remove this role"), required=False)

    def __init__(self, *args: Any, account_id: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(  # type: ignore[attr-defined]
            account_id=account_id
        ).select_related("contact")
        self.fields["person"].label_from_instance = lambda p: p.contact.name  # type: ignore[attr-defined]


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("competitor"), max_length=200)
    threat = forms.ChoiceField(label=_("threat"), choices=Threat.choices, initial=Threat.MEDIUM)
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea, required=False)


class LeadForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=200)
    source = forms.ChoiceField(label=_("source"), choices=LeadSource.choices)
    account = forms.ModelChoiceField(
        label=_("account"), queryset=Account.objects.none(), required=False
    )
    prospect_name = forms.CharField(label=_("prospect name"), max_length=200, required=False)
    contact_name = forms.CharField(label=_("contact person"), max_length=200, required=False)
    owner = forms.ModelChoiceField(
        label=_("owner"), queryset=Employee.objects.none(), required=False
    )
    status = forms.ChoiceField(
        label=_("status"),
        choices=[c for c in LeadStatus.choices if c[0] != LeadStatus.CONVERTED],
        initial=LeadStatus.NEW,
    )
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).order_by("name_pinyin")
        self.fields["owner"].queryset = _employees()  # type: ignore[attr-defined]
        if not editing:
            del self.fields["version"]


class ConvertForm(forms.Form):
    name = forms.CharField(label=_("opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(label=_("amount"), max_digits=16, decimal_places=2, min_value=0)
    currency = forms.CharField(label=_("currency"), max_length=3, initial=DEFAULT_CURRENCY)
    expected_close = forms.DateField(label=_("expected close"), widget=DATE)
    version = forms.IntegerField(widget=forms.HiddenInput)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("search"), max_length=100, required=False)
    stage = forms.ModelChoiceField(
        label=_("stage"), queryset=Stage.objects.filter(is_active=True), required=False
    )
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=[("", "—"), *Outcome.choices], required=False
    )
    department = forms.ModelChoiceField(
        label=_("department"), queryset=Department.objects.order_by("name_pinyin"), required=False
    )
    close_from = forms.DateField(label=_("closing from"), widget=DATE, required=False)
    close_to = forms.DateField(label=_("closing until"), widget=DATE, required=False)


class ForecastForm(forms.Form):
    period = forms.ChoiceField(
        label=_("period"),
        choices=[("month", _("per month")), ("quarter", _("per quarter"))],
        required=False,
    )
    group = forms.ChoiceField(
        label=_("group by"),
        choices=[("", _("whole company")), ("department", _("department")), ("team", _("team"))],
        required=False,
    )
    start = forms.DateField(label=_("from"), widget=DATE, required=False)
    end = forms.DateField(label=_("until"), widget=DATE, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not (date(1900, 1, 1) <= value <= date(2999, 12, 31)):
                self.add_error(name, _("Choose a date between 1900 and 2999."))
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end is before the start."))
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)
