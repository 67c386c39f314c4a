"""Web pages of the organisation: parse, authorize, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Field, Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import ADD, CHANGE, DELETE, IMPORT, VIEW, access_object, authorize, can
from kehu.audit.selectors import history_rows
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors
from kehu.core.models import VersionedModel
from kehu.core.pages import import_status, table_download, uploaded_import
from kehu.core.services import DeletionBlocked, object_create, object_delete, object_update
from kehu.core.templatetags.kehu import detail_url
from kehu.org import forms, selectors
from kehu.org.imports import IMPORTERS, export_rows
from kehu.org.models import (
    Department,
    Employee,
    InterfaceAssignment,
    InternalRelation,
    KeyRole,
    Service,
    Team,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class Resource:
    """How one kind of organisation object is listed, shown and edited on the web."""

    slug: str
    model: type[VersionedModel]
    form: type[forms.VersionedForm]
    title: Any
    columns: tuple[tuple[Any, str], ...]  # (heading, attribute path)
    queryset: Callable[[HttpRequest], QuerySet[Any]]

    def url(self, action: str, pk: Any = None) -> str:
        name = f"org:{self.slug}-{action}"
        return reverse(name, args=[pk]) if pk is not None else reverse(name)


def _search(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:100]


def _department_filter(request: HttpRequest) -> int | None:
    raw = request.GET.get("department", "")
    return int(raw) if raw.isdigit() else None


RESOURCES = {
    r.slug: r
    for r in (
        Resource(
            "departments",
            Department,
            forms.DepartmentForm,
            gettext_lazy("Departments"),
            (
                (gettext_lazy("Code"), "code"),
                (gettext_lazy("Name"), "display_name"),
                (gettext_lazy("Head"), "head"),
            ),
            lambda request: selectors.department_search(
                Department.objects.select_related("head"), _search(request)
            ),
        ),
        Resource(
            "employees",
            Employee,
            forms.EmployeeForm,
            gettext_lazy("Employees"),
            (
                (gettext_lazy("No."), "employee_no"),
                (gettext_lazy("Name"), "display_name"),
                (gettext_lazy("Title"), "title"),
                (gettext_lazy("Department"), "department"),
                (gettext_lazy("Manager"), "manager"),
                (gettext_lazy("Away"), "is_away"),
            ),
            lambda request: selectors.employee_list(
                search=_search(request), department_id=_department_filter(request)
            ),
        ),
        Resource(
            "teams",
            Team,
            forms.TeamForm,
            gettext_lazy("Teams"),
            (
                (gettext_lazy("Name"), "display_name"),
                (gettext_lazy("Department"), "department"),
                (gettext_lazy("Lead"), "lead"),
            ),
            lambda request: Team.objects.select_related("department", "lead"),
        ),
        Resource(
            "key-roles",
            KeyRole,
            forms.KeyRoleForm,
            gettext_lazy("Key roles"),
            (
                (gettext_lazy("Role"), "display_name"),
                (gettext_lazy("Department"), "department"),
                (gettext_lazy("Primary"), "primary"),
                (gettext_lazy("Backup"), "backup"),
                (gettext_lazy("Now reachable"), "current_holder"),
            ),
            lambda request: KeyRole.objects.select_related("department", "primary", "backup"),
        ),
        Resource(
            "services",
            Service,
            forms.ServiceForm,
            gettext_lazy("Service catalogue"),
            (
                (gettext_lazy("Service"), "display_name"),
                (gettext_lazy("Supplier"), "department"),
                (gettext_lazy("Response (min)"), "response_minutes"),
                (gettext_lazy("Resolution (min)"), "resolution_minutes"),
                (gettext_lazy("Interface person"), "interface_person"),
            ),
            lambda request: selectors.service_catalogue(
                search=_search(request), department_id=_department_filter(request)
            ),
        ),
        Resource(
            "relations",
            InternalRelation,
            forms.InternalRelationForm,
            gettext_lazy("Internal customer relations"),
            (
                (gettext_lazy("Supplier"), "supplier"),
                (gettext_lazy("Customer"), "customer"),
                (gettext_lazy("Type"), "get_relation_type_display"),
                (gettext_lazy("Collaboration"), "get_collaboration_mode_display"),
                (gettext_lazy("What is supplied"), "description"),
            ),
            lambda request: selectors.relations_with_sides(),
        ),
        Resource(
            "interfaces",
            InterfaceAssignment,
            forms.InterfaceAssignmentForm,
            gettext_lazy("Interface persons"),
            (
                (gettext_lazy("Requesting department"), "requesting_department"),
                (gettext_lazy("Supplier department"), "supplier_department"),
                (gettext_lazy("Interface person"), "person"),
            ),
            lambda request: InterfaceAssignment.objects.select_related(
                "requesting_department", "supplier_department", "person"
            ),
        ),
    )
}


def organisation_detail_url(obj: Any) -> str | None:
    """The page of an organisation object ('' if it has none); None for other objects.

    Registered with ``core.registry.register_detail_url`` (the ``detail_url`` filter)."""
    for resource in RESOURCES.values():
        if isinstance(obj, resource.model):
            try:
                return reverse(f"org:{resource.slug}-detail", args=[obj.pk])
            except NoReverseMatch:
                return ""
    return None


def _resource(slug: str) -> Resource:
    return RESOURCES[slug]


@login_required
def object_list(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _resource(slug)
    authorize(request.user, VIEW, resource.model)
    page = Paginator(resource.queryset(request), PAGE_SIZE).get_page(request.GET.get("page"))
    template = "org/_object_rows.html" if request.htmx else "org/object_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "resource": resource,
            "page": page,
            "q": _search(request),
            "can_add": can(request.user, ADD, resource.model),
            "departments": Department.objects.only("pk", "name", "name_en")
            if slug in ("employees", "services")
            else None,
            "selected_department": _department_filter(request),
        },
    )


@login_required
def object_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    obj = access_object(request.user, resource.model, pk)
    if slug == "departments":
        return department_detail(request, cast(Department, obj))
    if slug == "employees":
        return employee_detail(request, cast(Employee, obj))
    return render(
        request,
        "org/object_detail.html",
        {
            "resource": resource,
            "object": obj,
            "facts": _facts(obj, resource.form),
            "history": history_rows(obj),
            "can_change": can(request.user, CHANGE, obj),
            "can_delete": can(request.user, DELETE, obj),
        },
    )


def _facts(obj: Model, form_class: type[forms.VersionedForm]) -> list[tuple[Any, str, str]]:
    """(label, shown value, link) for each field the edit form has, in the form's order."""
    facts = []
    for name in form_class._meta.fields or []:
        field = cast("Field[Any, Any]", obj._meta.get_field(name))
        link = ""
        if field.many_to_many:
            value = ", ".join(str(o) for o in getattr(obj, name).all()) or "—"
        elif field.is_relation:
            related = getattr(obj, name)
            value, link = (str(related), detail_url(related)) if related else ("—", "")
        elif getattr(field, "choices", None):
            value = getattr(obj, f"get_{name}_display")() or "—"
        elif isinstance(getattr(obj, name), bool):
            value = _("yes") if getattr(obj, name) else _("no")
        else:
            raw = getattr(obj, name)
            value = "—" if raw in (None, "") else str(raw)
        facts.append((field.verbose_name, value, link))
    return facts


def department_detail(request: HttpRequest, department: Department) -> HttpResponse:
    return render(
        request,
        "org/department_detail.html",
        {
            "resource": RESOURCES["departments"],
            "object": department,
            "overview": selectors.department_overview(department),
            "history": history_rows(department),
            "can_change": can(request.user, CHANGE, department),
            "can_delete": can(request.user, DELETE, department),
        },
    )


def employee_detail(request: HttpRequest, employee: Employee) -> HttpResponse:
    return render(
        request,
        "org/employee_detail.html",
        {
            "resource": RESOURCES["employees"],
            "object": employee,
            "pyramid": selectors.employee_pyramid(employee),
            "history": history_rows(employee),
            "can_change": can(request.user, CHANGE, employee),
            "can_delete": can(request.user, DELETE, employee),
        },
    )


def _split_changes(form: forms.VersionedForm) -> tuple[dict[str, Any], dict[str, Any]]:
    plain: dict[str, Any] = {}
    many: dict[str, Any] = {}
    for name, value in form.cleaned_data.items():
        if name == "version":
            continue
        field = form.instance._meta.get_field(name)
        (many if field.many_to_many else plain)[name] = value
    return plain, many


@login_required
@require_http_methods(["GET", "POST"])
def object_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    resource = _resource(slug)
    authorize(request.user, ADD, resource.model)
    form = resource.form(request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        plain, many = _split_changes(form)
        authorize(
            request.user, ADD, resource.model(**plain)
        )  # e.g. a lead adds only inside their departments
        try:
            obj = object_create(resource.model, many=many, **plain)
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("%(object)s was created.") % {"object": obj})
            return redirect(resource.url("detail", obj.pk))
    return render(
        request, "org/object_form.html", {"resource": resource, "form": form, "object": None}
    )


@login_required
@require_http_methods(["GET", "POST"])
def object_edit_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    obj = access_object(request.user, resource.model, pk, action=CHANGE)
    form = resource.form(request.POST or None, instance=resource.model._default_manager.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        plain, many = _split_changes(form)
        expected = form.cleaned_data["version"]
        try:
            obj = object_update(obj, expected_version=expected, changes=plain, many=many)
        except StaleVersionError as exc:
            form.add_error(None, str(exc))
            return render(
                request,
                "org/object_form.html",
                {"resource": resource, "form": form, "object": obj, "current": exc.current},
                status=409,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("%(object)s was saved.") % {"object": obj})
            return redirect(resource.url("detail", obj.pk))
    return render(
        request, "org/object_form.html", {"resource": resource, "form": form, "object": obj}
    )


@login_required
@require_http_methods(["GET", "POST"])
def object_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    resource = _resource(slug)
    obj = access_object(request.user, resource.model, pk, action=DELETE)
    if request.method == "POST":
        try:
            object_delete(obj)
        except DeletionBlocked as exc:
            messages.error(request, str(exc))
            return redirect(resource.url("detail", pk))
        messages.success(request, _("%(object)s was deleted.") % {"object": obj})
        return redirect(resource.url("list"))
    return render(request, "org/object_confirm_delete.html", {"resource": resource, "object": obj})


@login_required
def department_tree_view(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, Department)
    q = _search(request)
    return render(
        request,
        "org/department_tree.html",
        {
            "resource": RESOURCES["departments"],
            "tree": selectors.department_tree(search=q),
            "q": q,
            "can_add": can(request.user, ADD, Department),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    authorize(request.user, IMPORT, Department)
    form = forms.ImportForm(request.POST or None, request.FILES or None)

    def run(**upload: Any) -> Any:
        return IMPORTERS[form.cleaned_data["kind"]](user=request.user, **upload)

    result = uploaded_import(request, form, run)
    context = {"form": form, "result": result}
    return render(request, "org/import.html", context, status=import_status(result))


@login_required
def export_view(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    authorize(request.user, VIEW, Department if kind == "departments" else Employee)
    if kind not in IMPORTERS or fmt not in ("csv", "xlsx"):
        raise Http404
    header, rows = export_rows(kind)
    return table_download(header, rows, fmt, f"kehu-{kind}")
