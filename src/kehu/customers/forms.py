"""Forms of the account pages: they parse input; the rules are in ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import CleanLinesMixin
from kehu.customers.models import (
    Account,
    AccountLevel,
    Contact,
    CustomField,
    Segment,
    Tag,
)
from kehu.customers.selectors import SORTS
from kehu.customers.services import ACCOUNT_FIELDS, CONTACT_FIELDS
from kehu.org.models import Employee

CUSTOM_PREFIX = "cf_"


def _employees() -> Any:
    return Employee.objects.filter(is_active=True).order_by("name_pinyin", "id")


class AccountFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Name, English name, pinyin, contact e-mail or phone"),
    )
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("Any level")), *AccountLevel.choices]
    )
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=[("", _("Any segment")), *Segment.choices]
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=_employees(), empty_label=_("Any owner")
    )
    tag = forms.ModelChoiceField(
        label=_("Tag"), required=False, queryset=Tag.objects.all(), empty_label=_("Any tag")
    )
    region = forms.CharField(label=_("Region"), required=False, max_length=100)
    industry = forms.CharField(label=_("Industry"), required=False, max_length=100)
    active = forms.ChoiceField(
        label=_("Active"),
        required=False,
        choices=[("", _("Active and inactive")), ("yes", _("Active")), ("no", _("Inactive"))],
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("name", _("Name (pinyin)")),
            ("-customer_since", _("Customer since, newest first")),
            ("customer_since", _("Customer since, oldest first")),
            ("-credit_limit", _("Credit limit, highest first")),
            ("credit_limit", _("Credit limit, lowest first")),
        ],
    )

    def clean_sort(self) -> str:
        sort: str = self.cleaned_data.get("sort") or "name"
        return sort if sort in SORTS else "name"


class AccountForm(CleanLinesMixin, forms.ModelForm):
    """Create or edit an account: built-in facts, owner, tags and the custom fields."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    owner = forms.ModelChoiceField(label=_("Account owner"), required=False, queryset=_employees())
    owner_reason = forms.CharField(
        label=_("Reason for the owner change"), required=False, max_length=300
    )
    tags_text = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=1000,
        help_text=_("Separated by commas; new tags are created."),
    )
    allow_duplicate = forms.BooleanField(
        label=_("Create anyway: this is not one of the similar accounts listed above"),
        required=False,
    )

    class Meta:
        model = Account
        fields = list(ACCOUNT_FIELDS)
        widgets = {"customer_since": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, definitions: list[CustomField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = definitions
        parents = Account.objects.only("id", "name", "name_en").order_by("name_pinyin", "id")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
            if not self.is_bound:
                self.initial["version"] = self.instance.version
                self.initial["owner"] = self.instance.owner_id
                self.initial["tags_text"] = ", ".join(t.name for t in self.instance.tags.all())
            del self.fields["allow_duplicate"]
        else:
            del self.fields["owner_reason"]
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["version"].required = bool(self.instance.pk)
        stored = self.instance.custom_fields or {}
        for definition in definitions:
            self.fields[CUSTOM_PREFIX + definition.code] = _custom_form_field(definition)
            if not self.is_bound and definition.code in stored:
                self.initial[CUSTOM_PREFIX + definition.code] = stored[definition.code]
        if "allow_duplicate" in self.fields:
            self.order_fields([f for f in self.fields if f != "allow_duplicate"])

    def hide_create_anyway(self) -> None:
        """Without similar accounts there is nothing to confirm; the box stays out of sight."""
        if "allow_duplicate" in self.fields:
            self.fields["allow_duplicate"].widget = forms.HiddenInput()

    def custom_values(self) -> dict[str, Any]:
        return {d.code: self.cleaned_data.get(CUSTOM_PREFIX + d.code) for d in self.definitions}

    def account_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in ACCOUNT_FIELDS}

    def custom_field_names(self) -> list[str]:
        return [CUSTOM_PREFIX + d.code for d in self.definitions]


def _custom_form_field(definition: CustomField) -> forms.Field:
    label = (
        definition.label
        if not definition.label_en
        else f"{definition.label} / {definition.label_en}"
    )
    # Required-ness is checked by the service, so an account saved before a field became
    # required can still be opened; the form only marks it.
    common: dict[str, Any] = {"label": label, "required": False}
    field: forms.Field
    if definition.kind == CustomField.Kind.NUMBER:
        field = forms.DecimalField(**common, max_digits=20, decimal_places=6)
    elif definition.kind == CustomField.Kind.DATE:
        field = forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    elif definition.kind == CustomField.Kind.CHOICE:
        field = forms.ChoiceField(
            **common, choices=[("", "—"), *[(str(c), str(c)) for c in definition.choices]]
        )
    elif definition.kind == CustomField.Kind.CHECKBOX:
        field = forms.BooleanField(**common)
    else:
        field = forms.CharField(**common, max_length=500)
    if definition.required:
        field.widget.attrs["aria-required"] = "true"
        field.help_text = _("Required")
    return field


class ContactForm(CleanLinesMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        self.fields["version"].required = bool(self.instance.pk)

    def contact_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in CONTACT_FIELDS}


class CustomFieldForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    choices_text = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line; only for choice fields."),
    )

    class Meta:
        model = CustomField
        fields = ["code", "label", "label_en", "kind", "required", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Stored values are kept under this code.")
            if not self.is_bound:
                self.initial["version"] = self.instance.version
                self.initial["choices_text"] = "\n".join(map(str, self.instance.choices))
        self.fields["version"].required = bool(self.instance.pk)

    def definition_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["choices"] = [
            line.strip() for line in self.cleaned_data["choices_text"].splitlines() if line.strip()
        ]
        return data


class TeamMemberForm(forms.Form):
    employee = forms.ModelChoiceField(label=_("Employee"), queryset=_employees())
    role = forms.CharField(label=_("Role in the team"), required=False, max_length=100)


class MergeForm(forms.Form):
    other = forms.ModelChoiceField(
        label=_("The other account"),
        queryset=Account.objects.only("id", "name", "name_en").order_by("name_pinyin", "id"),
    )
    survivor = forms.ChoiceField(
        label=_("Which account survives"),
        choices=[("this", _("This account")), ("other", _("The other account"))],
        widget=forms.RadioSelect,
        initial="this",
    )
    confirm = forms.BooleanField(
        label=_("I understand that the merged account is deleted and cannot be restored"),
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)
