"""REST endpoints for the per-department ticket setup: categories, custom fields and queue
settings (mounted at /api/desk).

No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.
"""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.core.services import object_create, object_delete, object_update
from kehu.desk.models import (
    AssignmentStrategy,
    Category,
    CustomField,
    DeskSettings,
)
from kehu.desk.tickets import assignment
from kehu.org.models import Department

setup_router = Router(tags=["ticket setup"])


# --- setup: categories, custom fields, queue settings ------------------------------------------


class CategoryIn(Schema):
    department_id: int
    name: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    is_active: bool = True


class CategoryPatch(Schema):
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class CategoryOut(Schema):
    id: int
    department_id: int
    name: str
    name_en: str
    is_active: bool
    version: int


class TicketFieldIn(Schema):
    department_id: int
    key: str = Field(..., min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    label: str = Field(..., min_length=1, max_length=100)
    label_en: str = Field("", max_length=100)
    kind: CustomField.Kind = CustomField.Kind.TEXT
    options: str = Field("", max_length=5000, description="One option per line")
    required: bool = False
    position: int = Field(0, ge=0, le=32767)


class TicketFieldPatch(Schema):
    version: int
    label: str | None = Field(None, min_length=1, max_length=100)
    label_en: str | None = Field(None, max_length=100)
    kind: CustomField.Kind | None = None
    options: str | None = Field(None, max_length=5000)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)


class TicketFieldOut(Schema):
    id: int
    department_id: int
    key: str
    label: str
    label_en: str
    kind: str
    options: str
    required: bool
    position: int
    version: int


class DepartmentFilter(Schema):
    department_id: int | None = None


def _setup_crud(
    model: type[Model],
    path: str,
    in_schema: type[Schema],
    patch_schema: type[Schema],
    out_schema: type[Schema],
) -> None:
    """List, create, change and delete one kind of per-department ticket setup. The department
    is fixed at creation: a lead cannot move a row into a department they do not lead."""
    noun = str(model._meta.verbose_name_plural)
    slug = path.replace("-", "_")

    @setup_router.get(
        f"/{path}",
        response=list[out_schema],  # type: ignore[valid-type]
        summary=f"List {noun}",
        operation_id=f"list_{slug}",
    )
    @paginate(OrderedCursorPagination, orderings=("id", "created_at", "updated_at"))
    def list_rows(request: HttpRequest, filters: Query[DepartmentFilter]) -> Any:
        authorize(request.user, VIEW, model)
        rows: QuerySet[Any] = model._default_manager.all()
        if filters.department_id is not None:
            rows = rows.filter(department_id=filters.department_id)
        return rows

    @setup_router.post(
        f"/{path}",
        response={201: out_schema, **ERRORS},
        summary=f"Create one of {noun} (leads of its department)",
        operation_id=f"create_{slug}",
    )
    def create_row(request: HttpRequest, payload: in_schema) -> Any:  # type: ignore[valid-type]
        fields = payload.dict()  # type: ignore[attr-defined]
        department = access_object(request.user, Department, fields["department_id"])
        authorize(request.user, ADD, model(department=department))
        return Status(201, object_create(model, **fields))

    @setup_router.patch(
        f"/{path}/{{int:pk}}",
        response={200: out_schema, **ERRORS},
        summary=f"Change one of {noun} (send the version you read; 409 if it moved on)",
        operation_id=f"update_{slug}",
    )
    def update_row(request: HttpRequest, pk: int, payload: patch_schema) -> Any:  # type: ignore[valid-type]
        row = access_object(request.user, model, pk, action=CHANGE)
        data = payload.dict(exclude_unset=True)  # type: ignore[attr-defined]
        version = data.pop("version")
        changes = {k: v for k, v in data.items() if v is not None}
        return object_update(row, expected_version=version, changes=changes)  # type: ignore[type-var]

    @setup_router.delete(
        f"/{path}/{{int:pk}}",
        response={204: None, **ERRORS},
        summary=f"Delete one of {noun}",
        operation_id=f"delete_{slug}",
    )
    def delete_row(request: HttpRequest, pk: int) -> Any:
        object_delete(access_object(request.user, model, pk, action=DELETE))
        return Status(204, None)


_setup_crud(Category, "ticket-categories", CategoryIn, CategoryPatch, CategoryOut)
_setup_crud(CustomField, "ticket-fields", TicketFieldIn, TicketFieldPatch, TicketFieldOut)


class DeskSettingsOut(Schema):
    department_id: int
    assignment_strategy: str
    auto_close_days: int
    working_calendar_id: int | None
    version: int


class DeskSettingsIn(Schema):
    version: int
    assignment_strategy: AssignmentStrategy
    auto_close_days: int = Field(..., ge=0, le=3650, description="0 never closes automatically")
    working_calendar_id: int | None = None


def _queue_settings(request: HttpRequest, pk: int, action: str) -> DeskSettings:
    department = access_object(request.user, Department, pk)
    # Decide on an unsaved row first, so a refused reader never creates one.
    authorize(request.user, action, DeskSettings(department=department))
    return assignment.desk_settings(department)


@setup_router.get(
    "/departments/{int:pk}/queue-settings",
    response={200: DeskSettingsOut, **ERRORS},
    summary="How a department runs its queue (its leads)",
)
def queue_settings_get(request: HttpRequest, pk: int) -> Any:
    return _queue_settings(request, pk, VIEW)


@setup_router.put(
    "/departments/{int:pk}/queue-settings",
    response={200: DeskSettingsOut, **ERRORS},
    summary="Replace a department's queue settings (send the version you read; 409 if stale)",
)
def queue_settings_put(request: HttpRequest, pk: int, payload: DeskSettingsIn) -> Any:
    row = _queue_settings(request, pk, CHANGE)
    return object_update(
        row,
        expected_version=payload.version,
        changes={
            "assignment_strategy": payload.assignment_strategy.value,
            "auto_close_days": payload.auto_close_days,
            "working_calendar_id": payload.working_calendar_id,
        },
    )
