"""REST endpoints of churn reviews (/api/churn): the same rules and permissions as the pages."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize
from kehu.churn import selectors, services
from kehu.churn.models import (
    Attribution,
    CauseArea,
    ChurnFollowUp,
    ChurnReview,
    ReviewKind,
    ReviewStatus,
)
from kehu.churn.rules import can_see_report
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.customers.models import Account
from kehu.customers.rules import can_edit_dossier, can_view_dossier
from kehu.desk.models import Ticket
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

router = Router(tags=["churn reviews"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Ids = list[Id]
LongText = Annotated[str, Field(max_length=services.MAX_TEXT)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]


class ReviewOut(Schema):
    id: int
    reference: str
    account_id: int
    kind: ReviewKind
    status: ReviewStatus
    noticed_on: date
    review_held_on: date | None
    revenue_before: Decimal | None
    revenue_after: Decimal | None
    revenue_lost: Decimal | None
    currency: str
    evidence: str
    attendee_ids: list[int]
    customer_attendees: str
    decision: str
    attribution: Attribution | None
    competitor: str
    attribution_notes: str
    cause_areas: list[CauseArea]
    ticket_ids: list[int]
    incident_ids: list[int]
    owner_at_review_id: int | None
    department_id: int | None
    opened_by_id: int | None
    reviewed_at: datetime | None
    closed_at: datetime | None
    open_follow_ups: int
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_attribution(obj: ChurnReview) -> str | None:
        return obj.attribution or None

    @staticmethod
    def resolve_attendee_ids(obj: ChurnReview) -> list[int]:
        return [e.pk for e in obj.attendees.all()]

    @staticmethod
    def resolve_ticket_ids(obj: ChurnReview) -> list[int]:
        return [t.pk for t in obj.tickets.all()]

    @staticmethod
    def resolve_incident_ids(obj: ChurnReview) -> list[int]:
        return [i.pk for i in obj.incidents.all()]


class ReviewFilter(Schema):
    q: str | None = Field(None, max_length=100, description="Account name, pinyin or CR-<number>")
    status: Literal["active", "open", "reviewed", "closed"] | None = None
    kind: ReviewKind | None = None
    attribution: Literal["none", "business_ended", "commercial", "service_capability"] | None = (
        Field(None, description="'none': not attributed yet")
    )
    owner_id: Id | None = Field(None, description="Owner at the review (an employee id)")
    department_id: Id | None = Field(None, description="Department at the review")
    date_from: date | None = Field(None, description="Noticed on or after")
    date_to: date | None = Field(None, description="Noticed on or before")
    account_id: Id | None = None


class ReviewIn(Schema):
    account_id: Id
    kind: ReviewKind
    noticed_on: date | None = Field(None, description="Empty: today")
    revenue_before: Money | None = None
    revenue_after: Money | None = None
    currency: str = Field("CNY", min_length=3, max_length=3)
    evidence: LongText = ""


class ReviewPatch(Schema):
    version: int
    kind: ReviewKind | None = None
    noticed_on: date | None = None
    review_held_on: date | None = None
    revenue_before: Money | None = None
    revenue_after: Money | None = None
    currency: str | None = Field(None, min_length=3, max_length=3)
    evidence: LongText | None = None
    attendee_ids: Ids | None = Field(None, max_length=200)
    customer_attendees: LongText | None = None
    decision: LongText | None = None
    attribution: Attribution | None = Field(None, description="null clears it (while open)")
    competitor: str | None = Field(None, max_length=200)
    attribution_notes: LongText | None = None
    cause_areas: list[CauseArea] | None = Field(None, max_length=4)
    ticket_ids: Ids | None = Field(None, max_length=500)
    incident_ids: Ids | None = Field(None, max_length=500)


class TransitionIn(Schema):
    version: int
    status: ReviewStatus
    note: str = Field("", max_length=500)


class FollowUpOut(Schema):
    id: int
    review_id: int
    action: str
    owner_id: int
    due_on: date | None
    done_at: datetime | None
    done_note: str
    overdue: bool
    version: int


class FollowUpIn(Schema):
    action: str = Field(..., min_length=1, max_length=500)
    owner_id: Id
    due_on: date | None = None


class FollowUpDoneIn(Schema):
    version: int
    note: LongText = ""


class ReportRowOut(Schema):
    group_key: str | int | None = Field(
        None, description="Attribution code, employee id or department id (null: none)"
    )
    group: str
    period: str
    currency: str
    reviews: int
    lost: int
    shrinking: int
    revenue_lost: Decimal


class ReportOut(Schema):
    period: Literal["month", "quarter", "year"]
    date_from: date | None
    date_to: date | None
    by_class: list[ReportRowOut]
    by_owner: list[ReportRowOut]
    by_department: list[ReportRowOut]


class ReportQuery(Schema):
    period: Literal["month", "quarter", "year"] = "month"
    date_from: date | None = None
    date_to: date | None = None


def _with_ids() -> QuerySet[ChurnReview]:
    return selectors.reviews().prefetch_related(
        Prefetch("attendees", queryset=Employee.objects.only("id")),
        Prefetch("tickets", queryset=Ticket.objects.only("id", "account_id").order_by("pk")),
        Prefetch("incidents", queryset=MajorIncident.objects.only("id").order_by("pk")),
    )


def _dossier_account(request: HttpRequest, account_id: int) -> Account:
    account = Account.objects.filter(pk=account_id).first()
    if account is None or not can_view_dossier(request.user, account):
        raise Http404
    if not can_edit_dossier(request.user, account):
        raise PermissionDenied
    return account


def _found(model: Any, ids: list[int], field: str, **scope: Any) -> list[Any]:
    found = list(model._default_manager.filter(pk__in=set(ids), **scope))
    if len(found) != len(set(ids)):
        raise ValidationError({field: "One or more of these ids do not exist."})
    return found


@router.get("", response=list[ReviewOut], summary="List churn reviews, newest first")
@paginate(OrderedCursorPagination, orderings=("-noticed_on", "updated_at", "created_at"))
def review_list(request: HttpRequest, filters: Query[ReviewFilter]) -> Any:
    authorize(request.user, VIEW, ChurnReview)
    found = selectors.review_list(
        request.user,
        selectors.ReviewFilters(
            q=filters.q or "",
            status=filters.status or "",
            kind=filters.kind.value if filters.kind else "",
            attribution=filters.attribution or "",
            owner_id=filters.owner_id,
            department_id=filters.department_id,
            date_from=filters.date_from,
            date_to=filters.date_to,
            account_id=filters.account_id,
        ),
    )
    return _with_ids().filter(pk__in=found.values("pk"))


@router.get(
    "/report",
    response={200: ReportOut, **ERRORS},
    summary="Churn counts and yearly revenue lost by class × period, by owner and by department",
)
def report(request: HttpRequest, query: Query[ReportQuery]) -> Any:
    if not can_see_report(request.user):
        raise PermissionDenied
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise ValidationError({"date_to": "The end comes before the start."})
    return selectors.churn_report(
        request.user, period=query.period, date_from=query.date_from, date_to=query.date_to
    )


@router.get("/{int:pk}", response={200: ReviewOut, **ERRORS}, summary="Read a churn review")
def review_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, ChurnReview, pk, queryset=_with_ids())


@router.post(
    "",
    response={201: ReviewOut, **ERRORS},
    summary="Open a churn review of an account (one in progress per account)",
)
def review_create(request: HttpRequest, payload: ReviewIn) -> Any:
    account = _dossier_account(request, payload.account_id)
    review = services.review_open(
        services.NewReview(
            account=account,
            kind=payload.kind.value,
            noticed_on=payload.noticed_on,
            revenue_before=payload.revenue_before,
            revenue_after=payload.revenue_after,
            currency=payload.currency,
            evidence=payload.evidence,
        ),
        actor=request.user,
    )
    return Status(201, _with_ids().get(pk=review.pk))


@router.patch(
    "/{int:pk}",
    response={200: ReviewOut, **ERRORS},
    summary="Change a churn review (send the version you read; 409 if it moved on)",
)
def review_update(request: HttpRequest, pk: int, payload: ReviewPatch) -> Any:
    review = access_object(request.user, ChurnReview, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name == "attendee_ids":
            changes["attendees"] = _found(Employee, value or [], name)
        elif name == "ticket_ids":
            changes["tickets"] = _found(Ticket, value or [], name)
        elif name == "incident_ids":
            changes["incidents"] = _found(MajorIncident, value or [], name)
        elif name == "cause_areas":
            changes.update(services.cause_changes([getattr(v, "value", v) for v in value or []]))
        elif name in ("kind", "noticed_on", "currency") and value is None:
            raise ValidationError({name: "This field cannot be empty."})
        elif name in ("evidence", "customer_attendees", "decision", "attribution_notes"):
            changes[name] = value or ""
        elif name in ("competitor", "attribution"):
            changes[name] = getattr(value, "value", value) or ""
        else:
            changes[name] = getattr(value, "value", value)
    services.review_update(review, actor=request.user, expected_version=version, changes=changes)
    return _with_ids().get(pk=pk)


@router.post(
    "/{int:pk}/transition",
    response={200: ReviewOut, **ERRORS},
    summary="Move a review: open → reviewed (attribution rules met) → closed (follow-ups done)",
)
def review_transition(request: HttpRequest, pk: int, payload: TransitionIn) -> Any:
    review = access_object(request.user, ChurnReview, pk, action=CHANGE)
    services.review_transition(
        review,
        actor=request.user,
        expected_version=payload.version,
        status=payload.status.value,
        note=payload.note,
    )
    return _with_ids().get(pk=pk)


@router.get(
    "/{int:pk}/follow-ups",
    response={200: list[FollowUpOut], **ERRORS},
    summary="The review's follow-up actions",
)
def follow_up_list(request: HttpRequest, pk: int) -> Any:
    review = access_object(request.user, ChurnReview, pk)
    return list(review.follow_ups.all())


@router.post(
    "/{int:pk}/follow-ups",
    response={201: FollowUpOut, **ERRORS},
    summary="Add a follow-up action with its owner and due date",
)
def follow_up_add(request: HttpRequest, pk: int, payload: FollowUpIn) -> Any:
    review = access_object(request.user, ChurnReview, pk, action=CHANGE)
    owner = Employee.objects.filter(pk=payload.owner_id).first()
    if owner is None:
        raise ValidationError({"owner_id": "No employee has this id."})
    follow_up = services.follow_up_add(
        review, actor=request.user, action=payload.action, owner=owner, due_on=payload.due_on
    )
    return Status(201, follow_up)


@router.post(
    "/follow-ups/{int:pk}/done",
    response={200: FollowUpOut, **ERRORS},
    summary="Mark a follow-up done (send the version you read; 409 if it moved on)",
)
def follow_up_done(request: HttpRequest, pk: int, payload: FollowUpDoneIn) -> Any:
    follow_up = access_object(
        request.user,
        ChurnFollowUp,
        pk,
        action=CHANGE,
        queryset=ChurnFollowUp.objects.select_related("review__account"),
    )
    return services.follow_up_complete(
        follow_up, actor=request.user, expected_version=payload.version, note=payload.note
    )
