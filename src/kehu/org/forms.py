"""Web forms for maintaining the organisation. Validation beyond field types lives in the models."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.forms import CleanLinesMixin
from kehu.org.models import (
    EDITABLE_FIELDS,
    Department,
    Employee,
    InterfaceAssignment,
    InternalRelation,
    KeyRole,
    Service,
    Team,
)


class VersionedForm(CleanLinesMixin, forms.ModelForm):
    """Carries the version the user started editing from, so stale saves are refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version
        # Editing requires the version the user started from; creating has none.
        self.fields["version"].required = bool(self.instance.pk)


class DepartmentForm(VersionedForm):
    class Meta:
        model = Department
        fields = EDITABLE_FIELDS[Department]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TeamForm(VersionedForm):
    class Meta:
        model = Team
        fields = EDITABLE_FIELDS[Team]


class EmployeeForm(VersionedForm):
    class Meta:
        model = Employee
        fields = EDITABLE_FIELDS[Employee]
        widgets = {"away_until": forms.DateInput(attrs={"type": "date"})}


class KeyRoleForm(VersionedForm):
    class Meta:
        model = KeyRole
        fields = EDITABLE_FIELDS[KeyRole]


class ServiceForm(VersionedForm):
    class Meta:
        model = Service
        fields = EDITABLE_FIELDS[Service]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "allowed_departments": forms.CheckboxSelectMultiple,
        }


class InternalRelationForm(VersionedForm):
    class Meta:
        model = InternalRelation
        fields = EDITABLE_FIELDS[InternalRelation]


class InterfaceAssignmentForm(VersionedForm):
    class Meta:
        model = InterfaceAssignment
        fields = EDITABLE_FIELDS[InterfaceAssignment]


class ImportForm(forms.Form):
    KIND_CHOICES = [("departments", _("Departments")), ("employees", _("Employees"))]
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KIND_CHOICES)
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)
