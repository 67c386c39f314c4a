"""Forms of the contract pages: the header, the scalar elements, and formsets of line items and
payment milestones. Validation of the elements themselves is elements.clean_elements's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.contracts.models import (
    ContractTemplate,
    ContractType,
    Currency,
    Decision,
    GuaranteeKind,
    Kind,
    LineKind,
    MilestoneTrigger,
    PaymentModel,
    VatRate,
)
from kehu.customers.models import Account

DATE = forms.DateInput(attrs={"type": "date"})
TEXTAREA = forms.Textarea(attrs={"rows": 3})


def _decimal(label: Any, places: int, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(label=label, decimal_places=places, max_digits=18, required=required)


class HeaderForm(forms.Form):
    account = forms.ModelChoiceField(Account.objects.order_by("name"), label=_("account"))
    contract_type = forms.ModelChoiceField(
        ContractType.objects.filter(is_active=True), label=_("contract type")
    )
    kind = forms.ChoiceField(choices=Kind.choices, label=_("kind"))
    template = forms.ModelChoiceField(
        ContractTemplate.objects.filter(is_active=True), label=_("template"), required=False
    )
    document = forms.FileField(
        label=_("document (.docx, .pdf or .txt)"),
        required=False,
        help_text=_("For a non-format contract: the signed text; .docx and .txt are searched."),
    )


class ElementsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(label=_("title"), max_length=200)
    currency = forms.ChoiceField(choices=Currency.choices, label=_("currency"))
    exchange_rate = _decimal(_("exchange rate to CNY"), 6)
    rebate_percent = _decimal(_("rebate %"), 2)
    payment_model = forms.ChoiceField(choices=PaymentModel.choices, label=_("payment model"))
    payment_days = forms.IntegerField(label=_("payment term (days)"), min_value=0, initial=30)
    delivery_place = forms.CharField(label=_("delivery place"), max_length=300, required=False)
    delivery_due = forms.DateField(label=_("delivery deadline"), required=False, widget=DATE)
    delivery_method = forms.CharField(label=_("delivery method"), max_length=300, required=False)
    responsibilities = forms.CharField(label=_("responsibilities"), required=False, widget=TEXTAREA)
    acceptance_criteria = forms.CharField(
        label=_("acceptance criteria"), required=False, widget=TEXTAREA
    )
    initial_acceptance_due = forms.DateField(
        label=_("initial acceptance due"), required=False, widget=DATE
    )
    final_acceptance_due = forms.DateField(
        label=_("final acceptance due"), required=False, widget=DATE
    )
    advance_percent = _decimal(_("advance payment %"), 2)
    guarantee_kind = forms.ChoiceField(choices=GuaranteeKind.choices, label=_("guarantee"))
    guarantee_percent = _decimal(_("guarantee %"), 2)
    our_party = forms.CharField(label=_("our party"), max_length=200, required=False)
    risk_transfer = forms.CharField(label=_("risk transfer"), required=False, widget=TEXTAREA)
    liability_cap_percent = _decimal(_("liability cap (% of the contract value)"), 2)
    liability_terms = forms.CharField(label=_("liability"), required=False, widget=TEXTAREA)
    force_majeure = forms.CharField(label=_("force majeure"), required=False, widget=TEXTAREA)
    dispute_terms = forms.CharField(label=_("dispute resolution"), required=False, widget=TEXTAREA)
    change_terms = forms.CharField(
        label=_("change terms (and who bears change costs)"), required=False, widget=TEXTAREA
    )
    effective_on = forms.DateField(label=_("effective date"), required=False, widget=DATE)
    terminates_on = forms.DateField(label=_("termination date"), required=False, widget=DATE)
    special_terms = forms.CharField(label=_("special terms"), required=False, widget=TEXTAREA)


class LineForm(forms.Form):
    kind = forms.ChoiceField(choices=LineKind.choices, label=_("kind"))
    name = forms.CharField(label=_("product or service"), max_length=200)
    configuration = forms.CharField(label=_("configuration"), max_length=500, required=False)
    quantity = forms.DecimalField(label=_("quantity"), max_digits=14, decimal_places=3)
    unit = forms.CharField(label=_("unit"), max_length=20)
    standard = forms.CharField(label=_("standard"), max_length=200, required=False)
    commitments = forms.CharField(
        label=_("function and performance commitments"), required=False, max_length=20000
    )
    unit_price = forms.DecimalField(label=_("unit price"), max_digits=18, decimal_places=2)
    discount_percent = forms.DecimalField(
        label=_("discount %"), max_digits=5, decimal_places=2, required=False
    )
    tax_rate = forms.ChoiceField(choices=VatRate.choices, label=_("VAT %"))


class MilestoneForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=200)
    trigger = forms.ChoiceField(choices=MilestoneTrigger.choices, label=_("trigger"))
    percent = forms.DecimalField(label=_("share %"), max_digits=5, decimal_places=2)
    due_on = forms.DateField(label=_("due"), required=False, widget=DATE)


LineFormSet = forms.formset_factory(LineForm, extra=2, can_delete=True, max_num=500)
MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=2, can_delete=True, max_num=50)


def rows(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    """The filled, not deleted rows of a valid formset."""
    return [
        {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class TransitionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    to = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("reason"), max_length=500, required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, label=_("decision"))
    comment = forms.CharField(label=_("comment"), required=False, widget=TEXTAREA, max_length=5000)


class ChangeForm(forms.Form):
    reason = forms.CharField(label=_("reason for the change"), widget=TEXTAREA, max_length=5000)
