"""Web forms for maintaining the organisation. Validation beyond field types lives in the models."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.org.models import (
    Department,
    Employee,
    InterfaceAssignment,
    InternalRelation,
    KeyRole,
    Service,
    Team,
)


class VersionedForm(forms.ModelForm):
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
        fields = ["code", "name", "name_en", "parent", "head", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class TeamForm(VersionedForm):
    class Meta:
        model = Team
        fields = ["department", "name", "name_en", "lead"]


class EmployeeForm(VersionedForm):
    class Meta:
        model = Employee
        fields = [
            "employee_no",
            "name",
            "name_en",
            "email",
            "phone",
            "title",
            "department",
            "team",
            "manager",
            "is_away",
            "away_until",
            "is_active",
        ]
        widgets = {"away_until": forms.DateInput(attrs={"type": "date"})}


class KeyRoleForm(VersionedForm):
    class Meta:
        model = KeyRole
        fields = ["department", "name", "name_en", "primary", "backup"]


class ServiceForm(VersionedForm):
    class Meta:
        model = Service
        fields = [
            "department",
            "name",
            "name_en",
            "description",
            "audience",
            "allowed_departments",
            "response_minutes",
            "resolution_minutes",
            "interface_person",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "allowed_departments": forms.CheckboxSelectMultiple,
        }


class InternalRelationForm(VersionedForm):
    class Meta:
        model = InternalRelation
        fields = [
            "supplier_department",
            "supplier_employee",
            "customer_department",
            "customer_employee",
            "relation_type",
            "collaboration_mode",
            "description",
        ]


class InterfaceAssignmentForm(VersionedForm):
    class Meta:
        model = InterfaceAssignment
        fields = ["requesting_department", "supplier_department", "person"]


class ImportForm(forms.Form):
    KIND_CHOICES = [("departments", _("Departments")), ("employees", _("Employees"))]
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KIND_CHOICES)
    file = forms.FileField(label=_("CSV or XLSX file"))
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)
