"""Builds the standard endpoints of one resource: list, read, create, update, delete, history.

Each endpoint still reads as parse → authorize → one service call → render; this module only
saves writing that sequence seven times.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.orm import create_schema
from ninja.pagination import paginate
from pydantic import create_model

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize
from kehu.audit.selectors import history_for
from kehu.core.api import ERRORS, OrderedCursorPagination, payload_to_fields
from kehu.core.services import object_create, object_delete, object_update


class AuditEntryOut(Schema):
    id: int
    timestamp: datetime
    action: str
    channel: str
    actor_id: int | None
    actor_name: str | None
    changes: dict[str, Any]

    @staticmethod
    def resolve_action(obj: Any) -> str:
        return {0: "create", 1: "update", 2: "delete", 3: "access"}.get(obj.action, str(obj.action))

    @staticmethod
    def resolve_actor_name(obj: Any) -> str | None:
        return str(obj.actor) if obj.actor else None

    @staticmethod
    def resolve_changes(obj: Any) -> dict[str, Any]:
        return obj.changes if isinstance(obj.changes, dict) else {}


@dataclass
class CrudSpec:
    model: type[Model]
    path: str
    tag: str
    fields: list[str]
    queryset: Callable[[], QuerySet[Any]]
    orderings: tuple[str, ...]
    filters: type[Schema]
    apply_filters: Callable[[QuerySet[Any], Any], QuerySet[Any]]


def _schema(
    model: type[Model],
    name: str,
    fields: list[str],
    optional: list[str],
    extra: list[tuple[str, Any, Any]],
) -> type[Schema]:
    """A schema of ``fields`` plus ``extra`` (name, type, default); works with no model fields too."""
    base = (
        create_schema(model, name=f"{name}Base", fields=fields, optional_fields=optional)
        if fields
        else Schema
    )
    field_definitions: dict[str, Any] = {n: (t, d) for n, t, d in extra}
    return create_model(name, __base__=base, **field_definitions)


def register_crud(router: Router, spec: CrudSpec) -> type[Schema]:
    """Add the standard endpoints for ``spec`` to ``router``; returns the output schema."""
    name = spec.model.__name__
    # Foreign keys are typed as plain ids here: ninja's own id field crashes on non-scalar input.
    foreign_keys = [f for f in spec.fields if spec.model._meta.get_field(f).many_to_one]
    many_keys = [f for f in spec.fields if spec.model._meta.get_field(f).many_to_many]
    plain_fields = [f for f in spec.fields if f not in foreign_keys and f not in many_keys]
    required_ids = [
        (
            f"{f}_id",
            int if not spec.model._meta.get_field(f).null else int | None,
            ... if not spec.model._meta.get_field(f).null else None,
        )
        for f in foreign_keys
    ]
    optional_ids = [(f"{f}_id", int | None, None) for f in foreign_keys]
    id_lists: list[tuple[str, Any, Any]] = [(f, list[int], []) for f in many_keys]
    optional_id_lists = [(f, list[int] | None, None) for f in many_keys]
    out_schema = create_schema(
        spec.model,
        name=f"{name}Out",
        fields=["id", *plain_fields, *many_keys, "version", "created_at", "updated_at"],
        custom_fields=[
            (f"{f}_id", int | None, None)
            if spec.model._meta.get_field(f).null
            else (f"{f}_id", int, ...)
            for f in foreign_keys
        ],
    )
    in_schema = _schema(spec.model, f"{name}In", plain_fields, [], [*required_ids, *id_lists])
    patch_schema = _schema(
        spec.model,
        f"{name}Patch",
        plain_fields,
        plain_fields,
        [*optional_ids, *optional_id_lists, ("version", int, ...)],
    )
    model = spec.model

    @router.get(
        f"/{spec.path}",
        response=list[out_schema],  # type: ignore[valid-type]
        tags=[spec.tag],
        operation_id=f"list_{spec.path.replace('-', '_')}",
        summary=f"List {spec.path}",
        by_alias=True,
    )
    @paginate(OrderedCursorPagination, orderings=spec.orderings)
    def list_objects(request: HttpRequest, filters: Query[spec.filters]) -> Any:  # type: ignore[name-defined]
        authorize(request.user, VIEW, model)
        return spec.apply_filters(spec.queryset(), filters)

    @router.get(
        f"/{spec.path}/{{int:pk}}",
        response={200: out_schema, **ERRORS},
        tags=[spec.tag],
        operation_id=f"get_{spec.path.replace('-', '_')}",
        by_alias=True,
        summary=f"Read one of {spec.path}",
    )
    def get_object(request: HttpRequest, pk: int, response: HttpResponse) -> Any:
        obj = access_object(request.user, model, pk, queryset=spec.queryset())
        response["ETag"] = f'W/"{obj.version}"'  # type: ignore[attr-defined]
        return obj

    @router.post(
        f"/{spec.path}",
        response={201: out_schema, **ERRORS},
        tags=[spec.tag],
        operation_id=f"create_{spec.path.replace('-', '_')}",
        by_alias=True,
        summary=f"Create one of {spec.path}",
    )
    def create_object(request: HttpRequest, payload: in_schema) -> Any:  # type: ignore[valid-type]
        authorize(request.user, ADD, model)
        plain, many = payload_to_fields(model, payload.dict())  # type: ignore[attr-defined]
        authorize(request.user, ADD, model(**plain))
        return Status(201, object_create(model, many=many, **plain))

    @router.patch(
        f"/{spec.path}/{{int:pk}}",
        response={200: out_schema, **ERRORS},
        tags=[spec.tag],
        operation_id=f"update_{spec.path.replace('-', '_')}",
        by_alias=True,
        summary=f"Change one of {spec.path} (send the version you read; 409 if it moved on)",
    )
    def update_object(request: HttpRequest, pk: int, payload: patch_schema) -> Any:  # type: ignore[valid-type]
        obj = access_object(request.user, model, pk, action=CHANGE)
        data = payload.dict(exclude_unset=True)  # type: ignore[attr-defined]
        plain, many = payload_to_fields(model, data)
        return object_update(obj, expected_version=data["version"], changes=plain, many=many)  # type: ignore[type-var]

    @router.delete(
        f"/{spec.path}/{{int:pk}}",
        response={204: None, **ERRORS},
        tags=[spec.tag],
        operation_id=f"delete_{spec.path.replace('-', '_')}",
        summary=f"Delete one of {spec.path}",
    )
    def delete_object(request: HttpRequest, pk: int) -> Any:
        obj = access_object(request.user, model, pk, action=DELETE)
        object_delete(obj)
        return Status(204, None)

    @router.get(
        f"/{spec.path}/{{int:pk}}/history",
        response={200: list[AuditEntryOut], **ERRORS},
        tags=[spec.tag],
        operation_id=f"history_{spec.path.replace('-', '_')}",
        summary=f"Audit history of one of {spec.path}",
    )
    def object_history(request: HttpRequest, pk: int) -> Any:
        obj = access_object(request.user, model, pk)
        return list(history_for(obj)[:500])

    return out_schema
