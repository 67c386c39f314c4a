"""A department's desk set-up, kept by its leads: queue settings, categories, custom fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize, can
from kehu.core.forms import apply_model_errors
from kehu.core.pages import try_save
from kehu.core.services import DeletionBlocked, object_create, object_delete, object_update
from kehu.desk.models import Category, CustomField, DeskSettings
from kehu.desk.tickets.assignment import desk_settings
from kehu.org.models import Department


class DeskSettingsForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = DeskSettings
        fields = ["assignment_strategy", "auto_close_days", "working_calendar"]


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "name_en"]


class CustomFieldForm(forms.ModelForm):
    class Meta:
        model = CustomField
        fields = ["key", "label", "label_en", "kind", "options", "required", "position"]
        widgets = {"options": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"key": gettext_lazy("Letters, digits, - and _; used by the API.")}


def _context(request: HttpRequest, department: Department, **forms_: Any) -> dict[str, Any]:
    settings_row = desk_settings(department)
    return {
        "department": department,
        "settings_form": forms_.get("settings_form")
        or DeskSettingsForm(instance=settings_row, initial={"version": settings_row.version}),
        "category_form": forms_.get("category_form") or CategoryForm(),
        "field_form": forms_.get("field_form") or CustomFieldForm(),
        "categories": Category.objects.filter(department=department),
        "fields": CustomField.objects.filter(department=department),
        "can_change": can(request.user, CHANGE, settings_row),
    }


@login_required
@require_http_methods(["GET", "POST"])
def department_setup(request: HttpRequest, pk: int) -> HttpResponse:
    department = access_object(request.user, Department, pk)
    settings_row = desk_settings(department)
    authorize(request.user, VIEW, settings_row)
    if request.method == "POST":
        authorize(request.user, CHANGE, settings_row)
        form = DeskSettingsForm(request.POST, instance=DeskSettings.objects.get(pk=settings_row.pk))
        status = 200
        if form.is_valid():

            def save() -> Any:
                changes = {f: form.cleaned_data[f] for f in DeskSettingsForm.Meta.fields}
                version = form.cleaned_data["version"]
                return object_update(settings_row, expected_version=version, changes=changes)

            refused = try_save(form, save)
            if refused is None:
                messages.success(request, _("%(object)s was saved.") % {"object": department})
                return redirect("desk:department-setup", department.pk)
            status = refused
        context = _context(request, department, settings_form=form)
        return render(request, "desk/department_setup.html", context, status=status)
    return render(request, "desk/department_setup.html", _context(request, department))


def _add_row(request: HttpRequest, pk: int, model: Any, form_class: Any, name: str) -> HttpResponse:
    """Add a category or custom field to a department (its leads), shown again if refused."""
    department = access_object(request.user, Department, pk)
    if model is Category:
        authorize(request.user, ADD, model(department=department))
    if not can(request.user, CHANGE, model(department=department)):
        return HttpResponse(status=403)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            object_create(model, department=department, **form.cleaned_data)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            return redirect("desk:department-setup", department.pk)
    context = _context(request, department, **{name: form})
    return render(request, "desk/department_setup.html", context)


@login_required
@require_POST
def category_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_row(request, pk, Category, CategoryForm, "category_form")


@login_required
@require_POST
def field_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_row(request, pk, CustomField, CustomFieldForm, "field_form")


@login_required
@require_POST
def category_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    category = access_object(request.user, Category, pk, action=CHANGE)
    object_update(
        category, expected_version=category.version, changes={"is_active": not category.is_active}
    )
    return redirect("desk:department-setup", category.department_id)


@login_required
@require_POST
def field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    field = access_object(request.user, CustomField, pk, action=DELETE)
    try:
        object_delete(field)
    except DeletionBlocked as exc:
        messages.error(request, str(exc))
    return redirect("desk:department-setup", field.department_id)
