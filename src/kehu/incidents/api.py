"""REST endpoints of major incidents (/api/incidents)."""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, WithJsonSchema

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.customers.models import Account
from kehu.desk.models import Ticket
from kehu.desk.rules import visible_tickets
from kehu.incidents import selectors, services
from kehu.incidents.models import IncidentSeverity, IncidentStatus, MajorIncident, TimelineEntry
from kehu.org.models import Department, Employee

router = Router(tags=["major incidents"])

IncidentTimelineKind = Annotated[
    TimelineEntry.Kind,
    WithJsonSchema(
        {"type": "string", "enum": list(TimelineEntry.Kind.values), "title": "IncidentTimelineKind"}
    ),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Ids = list[Id]
LongText = Annotated[str, Field(max_length=services.MAX_TEXT)]


class IncidentOut(Schema):
    id: int
    reference: str
    title: str
    description: str
    status: IncidentStatus
    severity: IncidentSeverity
    declared_by_id: int | None
    declared_at: datetime
    commander_id: int | None
    response_department_ids: list[int]
    response_member_ids: list[int]
    ticket_ids: list[int]
    affected_account_ids: list[int]
    ticket_count: int
    open_ticket_count: int
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    review_summary: str
    review_root_cause: str
    review_timeline: str
    review_actions: str
    review_completed_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_response_department_ids(obj: MajorIncident) -> list[int]:
        return [d.pk for d in obj.response_departments.all()]

    @staticmethod
    def resolve_response_member_ids(obj: MajorIncident) -> list[int]:
        return [e.pk for e in obj.response_members.all()]

    @staticmethod
    def resolve_ticket_ids(obj: MajorIncident) -> list[int]:
        return [t.pk for t in obj.tickets.all()]

    @staticmethod
    def resolve_affected_account_ids(obj: MajorIncident) -> list[int]:
        return [a.pk for a in obj.affected_accounts.all()]


class IncidentFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Words of the title or MI-<number>")
    status: (
        Literal["active", "declared", "investigating", "mitigated", "resolved", "closed"] | None
    ) = None
    severity: IncidentSeverity | None = None
    account_id: Id | None = Field(None, description="Only incidents that affected this account")


class IncidentIn(Schema):
    title: str = Field(..., min_length=1, max_length=250)
    description: LongText = ""
    severity: IncidentSeverity = IncidentSeverity.SEV2
    commander_id: Id | None = None
    response_department_ids: Ids = Field(default_factory=list, max_length=200)
    response_member_ids: Ids = Field(default_factory=list, max_length=500)
    ticket_ids: Ids = Field(default_factory=list, max_length=1000)


class IncidentPatch(Schema):
    version: int
    title: str | None = Field(None, min_length=1, max_length=250)
    description: LongText | None = None
    severity: IncidentSeverity | None = None
    status: IncidentStatus | None = Field(
        None, description="Closing needs the review: use the close operation"
    )
    commander_id: Id | None = None
    response_department_ids: Ids | None = Field(None, max_length=200)
    response_member_ids: Ids | None = Field(None, max_length=500)
    affected_account_ids: Ids | None = Field(None, max_length=5000)
    review_summary: LongText | None = None
    review_root_cause: LongText | None = None
    review_timeline: LongText | None = None
    review_actions: LongText | None = None


class LinkIn(Schema):
    ticket_ids: Ids = Field(..., min_length=1, max_length=1000)


class TimelineEntryOut(Schema):
    id: int
    at: datetime
    kind: IncidentTimelineKind
    text: str
    author_id: int | None
    author_name: str
    notified_count: int | None


class TimelineEntryIn(Schema):
    kind: Literal["update", "internal"] = Field(
        "update", description="Status changes and customer notices are written by the system"
    )
    text: str = Field(..., min_length=1, max_length=services.MAX_TEXT)
    at: datetime | None = Field(None, description="When it happened (with a zone); empty: now")


class NotifyIn(Schema):
    text: str = Field(..., min_length=1, max_length=services.MAX_TEXT)


class NoticeOut(Schema):
    notice_key: str = Field(..., description="The notice's digest: the same text is sent once")
    posted_ticket_ids: list[int]
    already_notified: int = Field(..., description="Open linked tickets that had it already")
    timeline_entry_id: int | None


class CloseIn(Schema):
    version: int
    review_summary: LongText | None = None
    review_root_cause: LongText | None = None
    review_timeline: LongText | None = None
    review_actions: LongText | None = None


def _with_ids() -> QuerySet[MajorIncident]:
    return selectors.incidents().prefetch_related(
        Prefetch("response_departments", queryset=Department.objects.only("id")),
        Prefetch("response_members", queryset=Employee.objects.only("id")),
        Prefetch("tickets", queryset=Ticket.objects.only("id").order_by("pk")),
        Prefetch("affected_accounts", queryset=Account.objects.only("id").order_by("pk")),
    )


def _objects(model: type[Model], ids: list[int], field: str) -> list[Any]:
    found = list(model._default_manager.filter(pk__in=set(ids)))
    if len(found) != len(set(ids)):
        raise ValidationError({field: "One or more of these ids do not exist."})
    return found


def _tickets(request: HttpRequest, ids: list[int], field: str = "ticket_ids") -> list[Ticket]:
    found = list(visible_tickets(request.user, Ticket.objects.filter(pk__in=set(ids))))
    if len(found) != len(set(ids)):
        raise ValidationError({field: "One or more of these tickets do not exist."})
    return found


def _commander(commander_id: int | None) -> Employee | None:
    if commander_id is None:
        return None
    commander = Employee.objects.filter(pk=commander_id).first()
    if commander is None:
        raise ValidationError({"commander_id": "No employee has this id."})
    return commander


@router.get("", response=list[IncidentOut], summary="List major incidents, newest first")
@paginate(OrderedCursorPagination, orderings=("-declared_at", "updated_at", "created_at"))
def incident_list(request: HttpRequest, filters: Query[IncidentFilter]) -> Any:
    authorize(request.user, VIEW, MajorIncident)
    found = selectors.incident_list(
        selectors.IncidentFilters(
            q=filters.q or "",
            status=filters.status or "",
            severity=filters.severity.value if filters.severity else "",
            account_id=filters.account_id,
        )
    )
    return _with_ids().filter(pk__in=found.values("pk"))


@router.get("/{int:pk}", response={200: IncidentOut, **ERRORS}, summary="Read a major incident")
def incident_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, MajorIncident, pk, queryset=_with_ids())


@router.post("", response={201: IncidentOut, **ERRORS}, summary="Declare a major incident")
def incident_create(request: HttpRequest, payload: IncidentIn) -> Any:
    authorize(request.user, ADD, MajorIncident)
    incident = services.incident_declare(
        services.NewIncident(
            title=payload.title,
            description=payload.description,
            severity=payload.severity.value,
            commander=_commander(payload.commander_id),
            response_departments=_objects(
                Department, payload.response_department_ids, "response_department_ids"
            ),
            response_members=_objects(Employee, payload.response_member_ids, "response_member_ids"),
            tickets=_tickets(request, payload.ticket_ids),
        ),
        actor=request.user,
    )
    return Status(201, _with_ids().get(pk=incident.pk))


@router.patch(
    "/{int:pk}",
    response={200: IncidentOut, **ERRORS},
    summary="Change a major incident (send the version you read; 409 if it moved on)",
)
def incident_update(request: HttpRequest, pk: int, payload: IncidentPatch) -> Any:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name == "commander_id":
            changes["commander"] = _commander(value)
        elif name == "response_department_ids":
            changes["response_departments"] = _objects(Department, value or [], name)
        elif name == "response_member_ids":
            changes["response_members"] = _objects(Employee, value or [], name)
        elif name == "affected_account_ids":
            changes["affected_accounts"] = _objects(Account, value or [], name)
        elif name in ("status", "severity"):
            if value is None:
                raise ValidationError({name: "This field cannot be empty."})
            changes[name] = getattr(value, "value", value)
        else:
            changes[name] = value
    services.incident_update(
        incident, actor=request.user, expected_version=version, changes=changes
    )
    return _with_ids().get(pk=pk)


@router.post(
    "/{int:pk}/tickets",
    response={200: IncidentOut, **ERRORS},
    summary="Link tickets (their accounts become affected accounts; linked ones are skipped)",
)
def incident_link(request: HttpRequest, pk: int, payload: LinkIn) -> Any:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    services.incident_link_tickets(
        incident, actor=request.user, tickets=_tickets(request, payload.ticket_ids)
    )
    return _with_ids().get(pk=pk)


@router.delete(
    "/{int:pk}/tickets/{int:ticket_id}",
    response={204: None, **ERRORS},
    summary="Unlink a ticket (its account stays affected)",
)
def incident_unlink(request: HttpRequest, pk: int, ticket_id: int) -> Any:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    ticket = access_object(request.user, Ticket, ticket_id)
    services.incident_unlink_ticket(incident, actor=request.user, ticket=ticket)
    return Status(204, None)


@router.get(
    "/{int:pk}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    summary="The incident's timeline, oldest first",
)
@paginate(OrderedCursorPagination, orderings=("at", "-at"))
def timeline_list(request: HttpRequest, pk: int) -> Any:
    incident = access_object(request.user, MajorIncident, pk)
    return selectors.timeline(incident)


@router.post(
    "/{int:pk}/timeline",
    response={201: TimelineEntryOut, **ERRORS},
    summary="Add an update or internal note to the timeline (entries never change afterwards)",
)
def timeline_add(request: HttpRequest, pk: int, payload: TimelineEntryIn) -> Any:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    authorize(request.user, ADD, TimelineEntry)
    entry = services.timeline_add(
        incident, actor=request.user, kind=payload.kind, text=payload.text, at=payload.at
    )
    return Status(201, entry)


@router.post(
    "/{int:pk}/notify",
    response={200: NoticeOut, **ERRORS},
    summary="Post a notice on every linked open ticket (safe to repeat: each ticket gets it once)",
)
def incident_notify(request: HttpRequest, pk: int, payload: NotifyIn) -> Any:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    result = services.incident_notify(incident, actor=request.user, text=payload.text)
    return {
        "notice_key": result.key,
        "posted_ticket_ids": [t.pk for t in result.posted],
        "already_notified": result.already_notified,
        "timeline_entry_id": result.entry.pk if result.entry else None,
    }


@router.post(
    "/{int:pk}/close",
    response={200: IncidentOut, **ERRORS},
    summary="Close a resolved incident with its post-incident review (summary and root cause)",
)
def incident_close(request: HttpRequest, pk: int, payload: CloseIn) -> Any:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    review = {
        name: value
        for name, value in payload.dict(exclude={"version"}).items()
        if value is not None
    }
    services.incident_close(
        incident, actor=request.user, expected_version=payload.version, review=review
    )
    return _with_ids().get(pk=pk)
