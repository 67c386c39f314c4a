"""REST endpoints for satisfaction surveys, rating roll-ups, callbacks and complaint records."""

# No ``from __future__ import annotations``: ninja reads the paginated endpoint's parameter
# types through its wrapper, where string annotations cannot be resolved.
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Path, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.throttling import AnonRateThrottle
from pydantic import Field

from kehu.access.permissions import CHANGE, VIEW, access_object, authorize, can
from kehu.core.api import ERRORS, ErrorOut, OrderedCursorPagination, payload_to_fields
from kehu.customers.models import Account
from kehu.desk.models import Ticket
from kehu.desk.rules import visible_tickets
from kehu.feedback import selectors, services
from kehu.feedback.models import (
    CallbackTask,
    ComplaintRecord,
    Currency,
    RootCause,
    SatisfactionRating,
)

router = Router(tags=["satisfaction and complaints"])


# --- the public survey -----------------------------------------------------------------------


class SurveyIn(Schema):
    score: int = Field(..., ge=1, le=5, description="1 = very dissatisfied … 5 = very satisfied")
    comment: str = Field("", max_length=4000)


class SurveyOut(Schema):
    ticket: str = Field(..., description="The ticket's reference, e.g. KH-42")
    score: int
    comment: str


@router.post(
    "/surveys/{token}",
    auth=None,
    throttle=[AnonRateThrottle(f"{settings.KEHU_SURVEY_RATE_PER_MINUTE}/m")],
    response={201: SurveyOut, 410: ErrorOut, **ERRORS},
    summary="Answer a satisfaction survey with the token from its mailed link (no sign-in)",
)
def survey_submit(
    request: HttpRequest,
    payload: SurveyIn,
    token: str = Path(..., max_length=services.MAX_TOKEN_LENGTH),
) -> Any:
    try:
        rating = services.survey_submit(token=token, score=payload.score, comment=payload.comment)
    except services.SurveyUnavailable as exc:
        if not exc.gone:
            raise Http404 from exc
        return Status(
            410,
            {
                "code": f"survey_{exc.reason}",
                "message": "This survey link was already used, replaced or has expired.",
                "errors": [],
            },
        )
    return Status(
        201, {"ticket": rating.ticket.reference, "score": rating.score, "comment": rating.comment}
    )


# --- roll-ups --------------------------------------------------------------------------------


class RollupQuery(Schema):
    by: Literal["agent", "department", "service"] = "department"
    start: date | None = Field(None, description="First day (in your time zone)")
    end: date | None = Field(None, description="Last day, included")


class RollupRowOut(Schema):
    id: int | None
    name: str
    count: int
    average: float | None
    low_share: float = Field(..., description="Share of scores of 2 or lower, 0 to 1")


class RollupOut(Schema):
    by: str
    start: date | None
    end: date | None
    total: RollupRowOut
    rows: list[RollupRowOut]


@router.get(
    "/ratings/rollup",
    response={200: RollupOut, **ERRORS},
    summary="Average score, count and share of low scores per agent, department or service",
)
def ratings_rollup(request: HttpRequest, filters: Query[RollupQuery]) -> Any:
    authorize(request.user, VIEW, SatisfactionRating)
    if filters.start and filters.end and filters.end < filters.start:
        raise NinjaValidationError(
            [{"loc": ("query", "end"), "msg": "The range must not end before it starts."}]
        )
    return {
        "by": filters.by,
        "start": filters.start,
        "end": filters.end,
        "total": selectors.rating_total(start=filters.start, end=filters.end),
        "rows": selectors.rating_rollup(by=filters.by, start=filters.start, end=filters.end),
    }


# --- callbacks -------------------------------------------------------------------------------


class CallbackOut(Schema):
    id: int
    ticket_id: int
    ticket_reference: str
    ticket_subject: str
    score: int
    comment: str
    assignee_id: int | None
    due_at: datetime
    done_at: datetime | None
    outcome: str
    version: int

    @staticmethod
    def resolve_ticket_reference(obj: CallbackTask) -> str:
        return obj.ticket.reference

    @staticmethod
    def resolve_ticket_subject(obj: CallbackTask) -> str:
        return obj.ticket.subject

    @staticmethod
    def resolve_score(obj: CallbackTask) -> int:
        return obj.rating.score

    @staticmethod
    def resolve_comment(obj: CallbackTask) -> str:
        return obj.rating.comment


class CallbackFilter(Schema):
    mine: bool = Field(True, description="Only those assigned to me (others: desk staff only)")
    open: bool = Field(True, description="Only those not done yet")


class CallbackDoneIn(Schema):
    outcome: str = Field(..., min_length=1, max_length=4000)
    version: int = Field(..., ge=1)


@router.get("/callbacks", response=list[CallbackOut], summary="List callbacks")
@paginate(OrderedCursorPagination, orderings=("due_at", "created_at", "updated_at"))
def callback_list(request: HttpRequest, filters: Query[CallbackFilter]) -> Any:
    authorize(request.user, VIEW, CallbackTask)
    user: Any = request.user
    callbacks = selectors.visible_callbacks(user)
    if filters.mine:
        callbacks = callbacks.filter(assignee__user=user)
    if filters.open:
        callbacks = callbacks.filter(done_at__isnull=True)
    return callbacks


@router.get("/callbacks/{int:pk}", response={200: CallbackOut, **ERRORS}, summary="Read a callback")
def callback_get(request: HttpRequest, pk: int) -> Any:
    return access_object(
        request.user, CallbackTask, pk, queryset=selectors.visible_callbacks(request.user)
    )


@router.put(
    "/callbacks/{int:pk}",
    response={200: CallbackOut, **ERRORS},
    summary="Mark a callback done with its outcome (send the version you read; 409 if it moved on)",
)
def callback_update(request: HttpRequest, pk: int, payload: CallbackDoneIn) -> Any:
    callback = access_object(
        request.user,
        CallbackTask,
        pk,
        action=CHANGE,
        queryset=selectors.visible_callbacks(request.user),
    )
    updated = services.callback_complete(
        callback, expected_version=payload.version, outcome=payload.outcome, actor=request.user
    )
    return selectors.visible_callbacks(request.user).get(pk=updated.pk)


# --- complaint records -----------------------------------------------------------------------


class ComplaintIn(Schema):
    customer_impact: str = Field("", max_length=10000)
    handling_process: str = Field("", max_length=10000)
    responsible_employee_id: int | None = None
    responsible_department_id: int | None = None
    loss_amount: Decimal = Field(Decimal("0"), ge=0, max_digits=14, decimal_places=2)
    loss_hours: Decimal = Field(Decimal("0"), ge=0, max_digits=10, decimal_places=2)
    root_cause_class: RootCause | Literal[""] = ""
    version: int | None = Field(
        None, ge=1, description="The version you read; leave out only when creating the record"
    )


class ComplaintOut(Schema):
    ticket_id: int
    customer_impact: str
    handling_process: str
    responsible_employee_id: int | None
    responsible_department_id: int | None
    loss_amount: Decimal
    loss_currency: Currency
    loss_hours: Decimal
    root_cause_class: RootCause | Literal[""]
    version: int
    created_at: datetime
    updated_at: datetime


def _complaint_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return access_object(request.user, Ticket, ticket_id, queryset=visible_tickets(request.user))


@router.get(
    "/complaints/{int:ticket_id}",
    response={200: ComplaintOut, **ERRORS},
    summary="Read the complaint record of a ticket",
)
def complaint_get(request: HttpRequest, ticket_id: int) -> Any:
    ticket = _complaint_ticket(request, ticket_id)
    record = selectors.complaint_record_for(ticket)
    if record is None or not can(request.user, VIEW, record):
        raise Http404
    return record


@router.put(
    "/complaints/{int:ticket_id}",
    response={200: ComplaintOut, **ERRORS},
    summary="Create or update a complaint ticket's record (send the version you read; 409 if stale)",
)
def complaint_put(request: HttpRequest, ticket_id: int, payload: ComplaintIn) -> Any:
    ticket = _complaint_ticket(request, ticket_id)
    record = selectors.complaint_record_for(ticket) or ComplaintRecord(ticket=ticket)
    if not can(request.user, VIEW, record):
        raise Http404
    authorize(request.user, CHANGE, record)
    fields, _many = payload_to_fields(ComplaintRecord, payload.dict())
    return services.complaint_record_save(ticket, expected_version=payload.version, fields=fields)


class ComplaintTicketOut(Schema):
    id: int
    reference: str
    subject: str
    status: str
    department_id: int
    created_at: datetime
    record: ComplaintOut | None

    @staticmethod
    def resolve_record(obj: Ticket) -> ComplaintRecord | None:
        return getattr(obj, "complaint_record", None)


class AccountComplaintsOut(Schema):
    account_id: int
    complaint_count: int
    recorded_count: int
    loss_amount: Decimal
    loss_currency: Currency = Currency.CNY
    loss_hours: Decimal
    tickets: list[ComplaintTicketOut]


@router.get(
    "/accounts/{int:account_id}/complaints",
    response={200: AccountComplaintsOut, **ERRORS},
    summary="An account's complaint archive: its complaint tickets, their records, total losses",
)
def account_complaints(request: HttpRequest, account_id: int) -> Any:
    authorize(request.user, VIEW, ComplaintRecord)
    account = access_object(request.user, Account, account_id)
    archive = selectors.account_complaints(request.user, account)
    return {
        "account_id": account.pk,
        "complaint_count": len(archive.tickets),
        "recorded_count": archive.recorded,
        "loss_amount": archive.loss_amount,
        "loss_hours": archive.loss_hours,
        "tickets": archive.tickets,
    }
