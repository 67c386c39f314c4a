"""REST endpoints of account handovers (/api/handover)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, WithJsonSchema

from kehu.access.permissions import ADD, CHANGE, access_object, authorize, require_staff
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.customers.models import Account
from kehu.handover import rules, services
from kehu.handover.models import Handover, HandoverItem
from kehu.org.models import Employee

router = Router(tags=["handover"])

HandoverItemStatus = Annotated[
    HandoverItem.Status,
    WithJsonSchema(
        {"type": "string", "enum": list(HandoverItem.Status.values), "title": "HandoverItemStatus"}
    ),
]
HandoverReason = Annotated[
    Handover.Reason,
    WithJsonSchema(
        {"type": "string", "enum": list(Handover.Reason.values), "title": "HandoverReason"}
    ),
]
HandoverStatus = Annotated[
    Handover.Status,
    WithJsonSchema(
        {"type": "string", "enum": list(Handover.Status.values), "title": "HandoverStatus"}
    ),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
LongText = Annotated[str, Field(max_length=services.MAX_TEXT)]


class ItemOut(Schema):
    id: int
    handover_id: int
    account_id: int
    account_name: str
    previous_owner_id: int
    new_owner_id: int
    background_notes: str
    open_items: str
    first_visit_planned_on: date | None
    first_visit_done_on: date | None
    status: HandoverItemStatus
    completed_at: datetime | None
    version: int

    @staticmethod
    def resolve_account_name(obj: HandoverItem) -> str:
        return obj.account.name


class HandoverOut(Schema):
    id: int
    reference: str
    from_employee_id: int
    reason: HandoverReason
    note: str
    status: HandoverStatus
    created_by_id: int | None
    created_at: datetime
    completed_at: datetime | None
    version: int
    items: list[ItemOut] = Field(..., description="The items you may see")

    @staticmethod
    def resolve_items(obj: Handover) -> list[HandoverItem]:
        return list(getattr(obj, "visible_items", []))


class AssignmentIn(Schema):
    account_id: Id
    new_owner_id: Id


class HandoverIn(Schema):
    from_employee_id: Id
    reason: HandoverReason
    note: LongText = ""
    new_owner_id: Id | None = Field(
        None, description="Without assignments: every account of the employee goes to this owner"
    )
    assignments: list[AssignmentIn] | None = Field(None, max_length=5000)


class ItemPatch(Schema):
    version: int
    background_notes: LongText | None = None
    open_items: LongText | None = None
    first_visit_planned_on: date | None = None
    first_visit_done_on: date | None = None
    status: HandoverItemStatus | None = None


def _with_items(user: Any, handovers: QuerySet[Handover]) -> QuerySet[Handover]:
    """Each handover with the items the user may see (managers all, owners their own)."""
    return handovers.select_related("from_employee").prefetch_related(
        Prefetch(
            "items",
            queryset=HandoverItem.objects.filter(rules.visible_items(user))
            .select_related("account")
            .order_by("id"),
            to_attr="visible_items",
        )
    )


def _employee(pk: int, field: str, among: QuerySet[Employee]) -> Employee:
    found = among.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: "No employee you may choose has this id."})
    return found


@router.get("", response=list[HandoverOut], summary="Handovers you may see, newest first")
@paginate(OrderedCursorPagination, orderings=("-created_at", "created_at"))
def handover_list(request: HttpRequest) -> Any:
    require_staff(request.user)
    return _with_items(request.user, rules.visible_handovers(request.user))


@router.get("/{int:pk}", response={200: HandoverOut, **ERRORS}, summary="Read a handover")
def handover_get(request: HttpRequest, pk: int) -> Any:
    return access_object(
        request.user, Handover, pk, queryset=_with_items(request.user, Handover.objects.all())
    )


@router.post(
    "",
    response={201: HandoverOut, **ERRORS},
    summary="Start a handover: move the accounts to their new owners with a checklist each",
)
def handover_create(request: HttpRequest, payload: HandoverIn) -> Any:
    authorize(request.user, ADD, Handover)
    employee = _employee(
        payload.from_employee_id,
        "from_employee_id",
        Employee.objects.filter(rules.startable_employees(request.user)),
    )
    assignments = None
    new_owner = None
    if payload.assignments is not None:
        owners = {
            e.pk: e
            for e in Employee.objects.filter(pk__in={a.new_owner_id for a in payload.assignments})
        }
        accounts = {
            a.pk: a
            for a in Account.objects.filter(pk__in={a.account_id for a in payload.assignments})
        }
        problems = [
            f"account {a.account_id} or employee {a.new_owner_id} does not exist"
            for a in payload.assignments
            if a.account_id not in accounts or a.new_owner_id not in owners
        ]
        if problems:
            raise ValidationError({"assignments": problems})
        assignments = {accounts[a.account_id]: owners[a.new_owner_id] for a in payload.assignments}
    elif payload.new_owner_id is not None:
        new_owner = _employee(payload.new_owner_id, "new_owner_id", Employee.objects.all())
    handover = services.handover_start(
        from_employee=employee,
        assignments=assignments,
        new_owner=new_owner,
        reason=payload.reason.value,
        note=payload.note,
        by=request.user,
    )
    return Status(201, _with_items(request.user, Handover.objects.all()).get(pk=handover.pk))


@router.patch(
    "/items/{int:pk}",
    response={200: ItemOut, **ERRORS},
    summary="Work on a checklist item (send the version you read; 409 if it moved on)",
)
def item_update(request: HttpRequest, pk: int, payload: ItemPatch) -> Any:
    item = access_object(
        request.user,
        HandoverItem,
        pk,
        action=CHANGE,
        queryset=HandoverItem.objects.select_related("handover__from_employee", "account"),
    )
    allowed = rules.item_fields(request.user, item)
    if not allowed:
        raise Http404
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for name in ("background_notes", "open_items", "status"):
        if name in data and data[name] is None:
            if name == "status":
                raise ValidationError({name: "This field cannot be empty."})
            data[name] = ""
    if "status" in data:
        data["status"] = getattr(data["status"], "value", data["status"])
    updated = services.handover_item_update(
        item=item, by=request.user, expected_version=version, changes=data, allowed=allowed
    )
    return HandoverItem.objects.select_related("account").get(pk=updated.pk)
