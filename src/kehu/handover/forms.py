"""Forms of the handover pages: they parse input; the rules are in ``services``."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kehu.customers.models import Account
from kehu.handover.models import Handover, HandoverItem
from kehu.handover.rules import ALL_ITEM_FIELDS
from kehu.handover.services import MAX_TEXT
from kehu.org.models import Employee


def _employee_label(employee: Any) -> str:
    return f"{employee} · {employee.department} ({employee.account_count})"


class ChooseEmployeeForm(forms.Form):
    employee = forms.ModelChoiceField(
        label=_lazy("Whose accounts are handed over"), queryset=Employee.objects.none()
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[Any]", self.fields["employee"])
        field.queryset = candidates
        field.label_from_instance = _employee_label  # type: ignore[method-assign,assignment]


class StartForm(forms.Form):
    """The reason, the new owner for all, and (parsed from the raw POST) the chosen accounts
    with their per-account new owners (``owner_<account id>``)."""

    new_owner = forms.TypedChoiceField(
        label=_lazy("New owner for all chosen accounts"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_lazy("Per account you may choose someone else below."),
    )
    reason = forms.ChoiceField(label=_lazy("Reason"), choices=Handover.Reason.choices)
    note = forms.CharField(
        label=_lazy("Note"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        data: QueryDict | None,
        *,
        accounts: list[Account],
        owners: list[Employee],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.accounts = accounts
        self.owners = {e.pk: e for e in owners}
        field = cast("forms.TypedChoiceField", self.fields["new_owner"])
        field.choices = [("", "---------"), *((e.pk, str(e)) for e in owners)]
        self.assignments: dict[Account, Employee] = {}

    def _int(self, value: str) -> int | None:
        return int(value) if value.isdigit() and len(value) < 12 else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.data is None:
            return data
        chosen = {self._int(v) for v in cast("QueryDict", self.data).getlist("accounts")}
        default = self.owners.get(data.get("new_owner") or 0)
        problems = []
        for account in self.accounts:
            if account.pk not in chosen:
                continue
            picked = self._int(self.data.get(f"owner_{account.pk}", "") or "")
            owner = self.owners.get(picked) if picked else default
            if owner is None:
                problems.append(_("Choose a new owner for %(account)s.") % {"account": account})
            else:
                self.assignments[account] = owner
        if not chosen - {None}:
            problems.append(_("Choose at least one account to hand over."))
        if problems:
            raise forms.ValidationError(problems)
        return data

    def chosen_ids(self) -> set[int]:
        if not self.is_bound:
            return {a.pk for a in self.accounts if not getattr(a, "in_handover", False)}
        return {a.pk for a in self.assignments} or {
            v for v in (self._int(x) for x in cast("QueryDict", self.data).getlist("accounts")) if v
        }

    def owner_for(self, account: Account) -> int | None:
        if not self.is_bound:
            return None
        return self._int(self.data.get(f"owner_{account.pk}", "") or "")


class ItemForm(forms.ModelForm):
    """A checklist item; only the fields this person may change are on the form."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = HandoverItem
        fields = [
            "background_notes",
            "open_items",
            "first_visit_planned_on",
            "first_visit_done_on",
            "status",
        ]
        widgets = {
            "background_notes": forms.Textarea(attrs={"rows": 6}),
            "open_items": forms.Textarea(attrs={"rows": 4}),
            "first_visit_planned_on": forms.DateInput(attrs={"type": "date"}),
            "first_visit_done_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(
        self, *args: Any, allowed: frozenset[str] = ALL_ITEM_FIELDS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
        for name in list(self.fields):
            if name != "version" and name not in allowed:
                del self.fields[name]

    def _post_clean(self) -> None:
        # The service validates and saves; the form must not touch the instance.
        pass

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}
