"""REST endpoints of the organisation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from kehu.access.permissions import IMPORT, access_object, authorize
from kehu.core.api import ERRORS, ErrorOut
from kehu.core.crud_api import CrudSpec, register_crud
from kehu.org import selectors
from kehu.org.imports import IMPORTERS
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

router = Router(tags=["organisation"])


class SearchFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Matches names (also by pinyin), codes")
    department: int | None = Field(None, description="Only this department's")


class NoFilter(Schema):
    department: int | None = Field(None, description="Only this department's")


def _by_department(field: str) -> Any:
    def apply(queryset: QuerySet[Any], filters: Any) -> QuerySet[Any]:
        return queryset.filter(**{field: filters.department}) if filters.department else queryset

    return apply


def _departments(queryset: QuerySet[Department], filters: SearchFilter) -> QuerySet[Department]:
    if filters.q:
        queryset = selectors.department_search(queryset, filters.q)
    if filters.department:
        queryset = queryset.filter(parent_id=filters.department)
    return queryset


SPECS = [
    CrudSpec(
        Department,
        "departments",
        "departments",
        EDITABLE_FIELDS[Department],
        lambda: Department.objects.all(),
        ("name_pinyin", "code", "created_at", "updated_at"),
        SearchFilter,
        _departments,
    ),
    CrudSpec(
        Employee,
        "employees",
        "employees",
        EDITABLE_FIELDS[Employee],
        lambda: Employee.objects.all(),
        ("name_pinyin", "employee_no", "created_at", "updated_at"),
        SearchFilter,
        lambda qs, f: selectors.employee_list(search=f.q or "", department_id=f.department).filter(
            pk__in=qs
        ),
    ),
    CrudSpec(
        Team,
        "teams",
        "teams",
        EDITABLE_FIELDS[Team],
        lambda: Team.objects.all(),
        ("name_pinyin", "created_at"),
        NoFilter,
        _by_department("department"),
    ),
    CrudSpec(
        KeyRole,
        "key-roles",
        "key roles",
        EDITABLE_FIELDS[KeyRole],
        lambda: KeyRole.objects.all(),
        ("name_pinyin", "created_at"),
        NoFilter,
        _by_department("department"),
    ),
    CrudSpec(
        Service,
        "services",
        "service catalogue",
        EDITABLE_FIELDS[Service],
        lambda: Service.objects.prefetch_related("allowed_departments"),
        ("name_pinyin", "created_at"),
        SearchFilter,
        lambda qs, f: selectors.service_catalogue(search=f.q or "", department_id=f.department),
    ),
    CrudSpec(
        InternalRelation,
        "relations",
        "internal relations",
        EDITABLE_FIELDS[InternalRelation],
        lambda: InternalRelation.objects.all(),
        ("id", "created_at"),
        NoFilter,
        _by_department("supplier_department"),
    ),
    CrudSpec(
        InterfaceAssignment,
        "interfaces",
        "interface persons",
        EDITABLE_FIELDS[InterfaceAssignment],
        lambda: InterfaceAssignment.objects.all(),
        ("id", "created_at"),
        NoFilter,
        _by_department("supplier_department"),
    ),
]
for spec in SPECS:
    register_crud(router, spec)


class PersonRef(Schema):
    id: int
    name: str
    department_id: int


class RelationRef(Schema):
    id: int
    relation_type: str
    collaboration_mode: str
    description: str
    supplier: str
    customer: str

    @staticmethod
    def resolve_supplier(obj: InternalRelation) -> str:
        return str(obj.supplier)

    @staticmethod
    def resolve_customer(obj: InternalRelation) -> str:
        return str(obj.customer)


class InterfaceRef(Schema):
    requesting_department_id: int
    supplier_department_id: int
    person_id: int


class PyramidOut(Schema):
    employee: PersonRef
    manager_chain: list[PersonRef]
    reports: list[PersonRef]
    serves_people: list[RelationRef]
    served_by_people: list[RelationRef]
    department_customers: list[RelationRef]
    department_suppliers: list[RelationRef]
    interface_for: list[InterfaceRef]
    contacts_for_me: list[InterfaceRef]


@router.get(
    "/employees/{int:pk}/pyramid",
    response={200: PyramidOut, **ERRORS},
    tags=["employees"],
    summary="Whom this person serves and who serves them (the inverted pyramid)",
)
def employee_pyramid(request: HttpRequest, pk: int) -> Any:
    employee = access_object(
        request.user, Employee, pk, queryset=Employee.objects.select_related("manager")
    )
    return selectors.employee_pyramid(employee)


class RowErrorOut(Schema):
    line: int
    column: str
    message: str


class ImportOut(Schema):
    ok: bool
    dry_run: bool
    created: int
    updated: int
    errors: list[RowErrorOut]


@router.post(
    "/import/{kind}",
    response={**ERRORS, 200: ImportOut, 422: ImportOut | ErrorOut},
    tags=["import"],
    summary="Import departments or employees from CSV/XLSX: every row or none",
)
def import_table(
    request: HttpRequest, kind: str, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    authorize(request.user, IMPORT, Department)
    if kind not in IMPORTERS:
        raise Http404
    if (file.size or 0) > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {"file": f"The file is larger than {settings.IMPORT_MAX_BYTES} bytes."}
        )
    result = IMPORTERS[kind](
        filename=file.name or "", data=file.read(), user=request.user, dry_run=dry_run
    )
    return Status(200 if result.ok else 422, result)
