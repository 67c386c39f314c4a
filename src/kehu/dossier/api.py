"""REST endpoints of the dossier (/api/dossier): entries with revisions, visits, follow-ups.

Every decision is the account's dossier decision; lists hold only the accounts whose dossier
the caller reads, and a customer portal user gets nothing.
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field, WithJsonSchema

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.core.markdown import render_markdown
from kehu.customers.models import Account, Contact
from kehu.customers.rules import can_edit_dossier, can_view_dossier
from kehu.desk.models import Ticket
from kehu.dossier import selectors, services
from kehu.dossier.models import (
    DossierEntry,
    DossierRevision,
    EventStatus,
    Section,
    Visit,
    VisitFollowUp,
)
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

router = Router(tags=["dossier"])

VisitKind = Annotated[
    Visit.Kind,
    WithJsonSchema({"type": "string", "enum": list(Visit.Kind.values), "title": "VisitKind"}),
]
VisitStatus = Annotated[
    Visit.Status,
    WithJsonSchema({"type": "string", "enum": list(Visit.Status.values), "title": "VisitStatus"}),
]

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Ids = list[Id]
Body = Annotated[str, Field(max_length=50000)]


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    created_at: datetime


class EntryOut(Schema):
    id: int
    account_id: int
    section: Section
    category: str
    status: str
    title: str
    body: str
    happened_on: date
    author_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class EntryDetailOut(EntryOut):
    html: str
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_html(obj: DossierEntry) -> str:
        return str(render_markdown(obj.body))

    @staticmethod
    def resolve_attachments(obj: DossierEntry) -> list[Any]:
        return list(obj.attachments.all())


class EntryFilter(Schema):
    account_id: Id | None = None
    section: Section | None = None
    status: EventStatus | None = None


class EntryIn(Schema):
    account_id: Id
    section: Section
    title: str = Field(..., min_length=1, max_length=200)
    body: Body = ""
    category: str = Field("", max_length=24)
    status: str = Field(
        "", max_length=12, description="Current events only: open, in_progress, closed"
    )
    happened_on: date | None = Field(None, description="The day the fact is about; empty: today")


class EntryPatch(Schema):
    version: int
    title: str | None = Field(None, min_length=1, max_length=200)
    body: Body | None = None
    category: str | None = Field(None, max_length=24)
    status: str | None = Field(None, max_length=12)
    happened_on: date | None = None


class RevisionOut(Schema):
    number: int
    title: str
    body: str
    category: str
    status: str
    happened_on: date
    author_id: int | None
    created_at: datetime


class FollowUpOut(Schema):
    id: int
    visit_id: int
    description: str
    owner_id: int | None
    due_on: date | None
    done_at: datetime | None
    overdue: bool


class VisitOut(Schema):
    id: int
    account_id: int
    kind: VisitKind
    status: VisitStatus
    planned_on: date
    visited_on: date | None
    purpose: str
    summary: str
    our_attendee_ids: list[int]
    customer_attendee_ids: list[int]
    other_attendees: str
    ticket_id: int | None
    incident_id: int | None
    follow_ups: list[FollowUpOut]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_our_attendee_ids(obj: Visit) -> list[int]:
        return [e.pk for e in obj.our_attendees.all()]

    @staticmethod
    def resolve_customer_attendee_ids(obj: Visit) -> list[int]:
        return [c.pk for c in obj.customer_attendees.all()]

    @staticmethod
    def resolve_follow_ups(obj: Visit) -> list[Any]:
        return list(obj.follow_ups.all())


class VisitFilter(Schema):
    account_id: Id | None = None
    status: VisitStatus | None = None
    kind: VisitKind | None = None


class VisitIn(Schema):
    account_id: Id
    kind: VisitKind = Visit.Kind.ROUTINE_MONTHLY
    status: VisitStatus = Visit.Status.PLANNED
    planned_on: date
    visited_on: date | None = None
    purpose: str = Field(..., min_length=1, max_length=300)
    summary: Body = ""
    our_attendee_ids: Ids = Field(default_factory=list, max_length=100)
    customer_attendee_ids: Ids = Field(default_factory=list, max_length=100)
    other_attendees: str = Field("", max_length=500)
    ticket_id: Id | None = None
    incident_id: Id | None = None


class VisitPatch(Schema):
    version: int
    kind: VisitKind | None = None
    status: VisitStatus | None = None
    planned_on: date | None = None
    visited_on: date | None = None
    purpose: str | None = Field(None, min_length=1, max_length=300)
    summary: Body | None = None
    our_attendee_ids: Ids | None = Field(None, max_length=100)
    customer_attendee_ids: Ids | None = Field(None, max_length=100)
    other_attendees: str | None = Field(None, max_length=500)
    ticket_id: Id | None = None
    incident_id: Id | None = None


class FollowUpIn(Schema):
    description: str = Field(..., min_length=1, max_length=500)
    owner_id: Id | None = None
    due_on: date | None = None


class FollowUpPatch(Schema):
    done: bool


def _account(request: HttpRequest, account_id: int, *, edit: bool) -> Account:
    account = Account.objects.filter(pk=account_id).first()
    if account is None or not can_view_dossier(request.user, account):
        raise ValidationError({"account_id": "No account has this id."})
    if edit and not can_edit_dossier(request.user, account):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    return account


def _visits() -> QuerySet[Visit]:
    return Visit.objects.select_related("account").prefetch_related(
        Prefetch("our_attendees", queryset=Employee.objects.only("id").order_by("pk")),
        Prefetch("customer_attendees", queryset=Contact.objects.only("id").order_by("pk")),
        Prefetch("follow_ups", queryset=VisitFollowUp.objects.order_by("id")),
    )


def _many(model: Any, ids: list[int] | None, field: str) -> list[Any]:
    wanted = set(ids or [])
    found = list(model._default_manager.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: "One or more of these ids do not exist."})
    return found


def _one(model: Any, pk: int | None, field: str) -> Any:
    if pk is None:
        return None
    found = model._default_manager.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: "No record has this id."})
    return found


# --- entries -----------------------------------------------------------------------------------


@router.get("/entries", response=list[EntryOut], summary="List dossier entries, newest first")
@paginate(OrderedCursorPagination, orderings=("-happened_on", "updated_at", "created_at"))
def entry_list(request: HttpRequest, filters: Query[EntryFilter]) -> Any:
    authorize(request.user, VIEW, DossierEntry)
    found = selectors.readable_entries(request.user)
    if filters.account_id is not None:
        found = found.filter(account_id=filters.account_id)
    if filters.section is not None:
        found = found.filter(section=filters.section.value)
    if filters.status is not None:
        found = found.filter(status=filters.status.value)
    return found


@router.get(
    "/entries/{int:pk}",
    response={200: EntryDetailOut, **ERRORS},
    summary="Read an entry (with its text rendered as safe HTML)",
)
def entry_get(request: HttpRequest, pk: int) -> Any:
    return access_object(
        request.user,
        DossierEntry,
        pk,
        queryset=selectors.entries().prefetch_related("attachments"),
    )


@router.post("/entries", response={201: EntryDetailOut, **ERRORS}, summary="Add a dossier entry")
def entry_create(request: HttpRequest, payload: EntryIn) -> Any:
    authorize(request.user, VIEW, DossierEntry)
    account = _account(request, payload.account_id, edit=True)
    entry = services.entry_create(
        account=account,
        actor=request.user,
        section=payload.section.value,
        title=payload.title,
        body=payload.body,
        category=payload.category,
        status=payload.status,
        happened_on=payload.happened_on,
    )
    return Status(201, selectors.entries().prefetch_related("attachments").get(pk=entry.pk))


@router.patch(
    "/entries/{int:pk}",
    response={200: EntryDetailOut, **ERRORS},
    summary="Change an entry (send the version you read; 409 if it moved on)",
)
def entry_update(request: HttpRequest, pk: int, payload: EntryPatch) -> Any:
    entry = access_object(
        request.user, DossierEntry, pk, action=CHANGE, queryset=selectors.entries()
    )
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for name in ("title", "body", "category", "status"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be empty."})
    services.entry_update(entry, actor=request.user, expected_version=version, changes=data)
    return selectors.entries().prefetch_related("attachments").get(pk=pk)


@router.delete("/entries/{int:pk}", response={204: None, **ERRORS}, summary="Delete an entry")
def entry_delete(request: HttpRequest, pk: int) -> Any:
    entry = access_object(
        request.user, DossierEntry, pk, action="delete", queryset=selectors.entries()
    )
    services.entry_delete(entry, actor=request.user)
    return Status(204, None)


@router.get(
    "/entries/{int:pk}/revisions",
    response={200: list[RevisionOut], **ERRORS},
    summary="The entry's revisions, newest first",
)
def entry_revisions(request: HttpRequest, pk: int) -> Any:
    entry = access_object(request.user, DossierEntry, pk, queryset=selectors.entries())
    authorize(request.user, VIEW, DossierRevision)
    return list(selectors.revisions(entry))


# --- visits ------------------------------------------------------------------------------------


@router.get("/visits", response=list[VisitOut], summary="List visits, latest planned first")
@paginate(OrderedCursorPagination, orderings=("-planned_on", "planned_on", "updated_at"))
def visit_list(request: HttpRequest, filters: Query[VisitFilter]) -> Any:
    authorize(request.user, VIEW, Visit)
    found = selectors.readable_visits(request.user)
    if filters.account_id is not None:
        found = found.filter(account_id=filters.account_id)
    if filters.status is not None:
        found = found.filter(status=filters.status.value)
    if filters.kind is not None:
        found = found.filter(kind=filters.kind.value)
    return _visits().filter(pk__in=found.values("pk"))


@router.get("/visits/{int:pk}", response={200: VisitOut, **ERRORS}, summary="Read a visit")
def visit_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, Visit, pk, queryset=_visits())


@router.post("/visits", response={201: VisitOut, **ERRORS}, summary="Plan or record a visit")
def visit_create(request: HttpRequest, payload: VisitIn) -> Any:
    authorize(request.user, VIEW, Visit)
    account = _account(request, payload.account_id, edit=True)
    visit = services.visit_create(
        account=account,
        actor=request.user,
        kind=payload.kind.value,
        status=payload.status.value,
        planned_on=payload.planned_on,
        visited_on=payload.visited_on,
        purpose=payload.purpose,
        summary=payload.summary,
        our_attendees=_many(Employee, payload.our_attendee_ids, "our_attendee_ids"),
        customer_attendees=_many(Contact, payload.customer_attendee_ids, "customer_attendee_ids"),
        other_attendees=payload.other_attendees,
        ticket=_one(Ticket, payload.ticket_id, "ticket_id"),
        incident=_one(MajorIncident, payload.incident_id, "incident_id"),
    )
    return Status(201, _visits().get(pk=visit.pk))


@router.patch(
    "/visits/{int:pk}",
    response={200: VisitOut, **ERRORS},
    summary="Change a visit, e.g. record it done (send the version you read; 409 if it moved on)",
)
def visit_update(request: HttpRequest, pk: int, payload: VisitPatch) -> Any:
    visit = access_object(request.user, Visit, pk, action=CHANGE, queryset=_visits())
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name == "our_attendee_ids":
            changes["our_attendees"] = _many(Employee, value, name)
        elif name == "customer_attendee_ids":
            changes["customer_attendees"] = _many(Contact, value, name)
        elif name == "ticket_id":
            changes["ticket"] = _one(Ticket, value, name)
        elif name == "incident_id":
            changes["incident"] = _one(MajorIncident, value, name)
        elif value is None and name not in ("visited_on",):
            raise ValidationError({name: "This field cannot be empty."})
        else:
            changes[name] = getattr(value, "value", value)
    services.visit_update(visit, actor=request.user, expected_version=version, changes=changes)
    return _visits().get(pk=pk)


@router.post(
    "/visits/{int:pk}/follow-ups",
    response={201: FollowUpOut, **ERRORS},
    summary="Add a follow-up to a visit",
)
def follow_up_add(request: HttpRequest, pk: int, payload: FollowUpIn) -> Any:
    visit = access_object(
        request.user, Visit, pk, action=CHANGE, queryset=Visit.objects.select_related("account")
    )
    follow_up = services.follow_up_add(
        visit,
        actor=request.user,
        description=payload.description,
        owner=_one(Employee, payload.owner_id, "owner_id"),
        due_on=payload.due_on,
    )
    return Status(201, follow_up)


@router.patch(
    "/follow-ups/{int:pk}",
    response={200: FollowUpOut, **ERRORS},
    summary="Mark a follow-up done (or open again)",
)
def follow_up_update(request: HttpRequest, pk: int, payload: FollowUpPatch) -> Any:
    follow_up = access_object(
        request.user,
        VisitFollowUp,
        pk,
        action=CHANGE,
        queryset=VisitFollowUp.objects.select_related("visit__account"),
    )
    return services.follow_up_complete(follow_up, actor=request.user, done=payload.done)
