"""REST endpoints of the service desk. So far: business calendars and due-time calculation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize
from kehu.audit.selectors import history_for
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.core.crud_api import AuditEntryOut
from kehu.core.services import object_delete
from kehu.desk import selectors, services, sla
from kehu.desk.models import BusinessCalendar
from kehu.desk.priority import Impact, Priority, Severity

router = Router(tags=["business calendars"])


class IntervalIO(Schema):
    weekday: int = Field(..., ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start: time
    end: time = Field(..., description="Not after start: runs overnight; equal to start: all day")


class DayIO(Schema):
    date: date
    kind: Literal["holiday", "working"]
    works_as: int = Field(
        0, ge=0, le=6, description="For a make-up working day: whose weekday's hours apply"
    )
    name: str = Field("", max_length=100)


class CalendarIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    time_zone: str = Field(..., max_length=64, examples=["Asia/Shanghai"])
    description: str = ""
    intervals: list[IntervalIO] = Field(default_factory=list, max_length=200)
    days: list[DayIO] = Field(default_factory=list, max_length=2000)


class CalendarUpdate(CalendarIn):
    version: int


class CalendarOut(Schema):
    id: int
    name: str
    name_en: str
    time_zone: str
    description: str
    version: int
    created_at: datetime
    updated_at: datetime
    intervals: list[IntervalIO]
    days: list[DayIO]

    @staticmethod
    def resolve_intervals(obj: BusinessCalendar) -> list[Any]:
        return list(obj.intervals.all())

    @staticmethod
    def resolve_days(obj: BusinessCalendar) -> list[Any]:
        return list(obj.days.all())


class PauseIn(Schema):
    start: datetime
    end: datetime


class DueIn(Schema):
    start: datetime = Field(..., description="With a time zone offset")
    minutes: int = Field(..., ge=0, le=60 * 24 * 365)
    pauses: list[PauseIn] = Field(default_factory=list, max_length=500)


class DueOut(Schema):
    due_at: datetime = Field(..., description="In the calendar's time zone")


def _split(
    payload: CalendarIn,
) -> tuple[dict[str, Any], list[services.IntervalSpec], list[services.DaySpec]]:
    fields = {
        "name": payload.name,
        "name_en": payload.name_en,
        "time_zone": payload.time_zone,
        "description": payload.description,
    }
    intervals = [services.IntervalSpec(i.weekday, i.start, i.end) for i in payload.intervals]
    days = [services.DaySpec(d.date, d.kind, d.works_as, d.name) for d in payload.days]
    return fields, intervals, days


@router.get("/calendars", response=list[CalendarOut], summary="List business calendars")
@paginate(OrderedCursorPagination, orderings=("name_pinyin", "created_at", "updated_at"))
def calendar_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, BusinessCalendar)
    return selectors.calendars()


@router.get(
    "/calendars/{int:pk}", response={200: CalendarOut, **ERRORS}, summary="Read a business calendar"
)
def calendar_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, BusinessCalendar, pk, queryset=selectors.calendars())


@router.post(
    "/calendars", response={201: CalendarOut, **ERRORS}, summary="Create a business calendar"
)
def calendar_create(request: HttpRequest, payload: CalendarIn) -> Any:
    authorize(request.user, ADD, BusinessCalendar)
    fields, intervals, days = _split(payload)
    calendar = services.calendar_create(fields=fields, intervals=intervals, days=days)
    return Status(201, selectors.calendars().get(pk=calendar.pk))


@router.put(
    "/calendars/{int:pk}",
    response={200: CalendarOut, **ERRORS},
    summary="Replace a calendar and its schedule (send the version you read; 409 if it moved on)",
)
def calendar_update(request: HttpRequest, pk: int, payload: CalendarUpdate) -> Any:
    calendar = access_object(request.user, BusinessCalendar, pk, action=CHANGE)
    fields, intervals, days = _split(payload)
    services.calendar_update(
        calendar=calendar,
        expected_version=payload.version,
        fields=fields,
        intervals=intervals,
        days=days,
    )
    return selectors.calendars().get(pk=pk)


@router.delete(
    "/calendars/{int:pk}", response={204: None, **ERRORS}, summary="Delete a business calendar"
)
def calendar_delete(request: HttpRequest, pk: int) -> Any:
    object_delete(access_object(request.user, BusinessCalendar, pk, action=DELETE))
    return Status(204, None)


@router.get(
    "/calendars/{int:pk}/history",
    response={200: list[AuditEntryOut], **ERRORS},
    summary="Audit history of a business calendar",
)
def calendar_history(request: HttpRequest, pk: int) -> Any:
    return list(history_for(access_object(request.user, BusinessCalendar, pk))[:500])


@router.post(
    "/calendars/{int:pk}/due",
    response={200: DueOut, **ERRORS},
    summary="When business time of this many minutes, minus pauses, has passed since start",
)
def calendar_due(request: HttpRequest, pk: int, payload: DueIn) -> Any:
    calendar = access_object(request.user, BusinessCalendar, pk, queryset=selectors.calendars())
    if payload.start.tzinfo is None or any(
        p.start.tzinfo is None or p.end.tzinfo is None for p in payload.pauses
    ):
        raise ValidationError(
            {"start": "Give times with a time zone offset, e.g. 2026-10-09T09:00:00+08:00."}
        )
    engine = selectors.engine_calendar(calendar)
    try:
        due = sla.add_business_time(
            engine,
            payload.start,
            timedelta(minutes=payload.minutes),
            [(p.start, p.end) for p in payload.pauses],
        )
    except sla.CalendarError as exc:
        raise ValidationError({"minutes": str(exc)}) from exc
    return {"due_at": due.astimezone(engine.zone)}  # in the calendar's own zone


class PriorityMatrixOut(Schema):
    version: int
    cells: dict[str, Priority] = Field(..., description='Keys are "impact:severity"')


class PriorityMatrixIn(Schema):
    version: int
    cells: dict[str, Priority]


class PriorityOut(Schema):
    impact: Impact
    severity: Severity
    priority: Priority


@router.get(
    "/priority-matrix",
    response={200: PriorityMatrixOut, **ERRORS},
    tags=["priorities"],
    summary="The impact × severity → priority matrix",
)
def priority_matrix_get(request: HttpRequest) -> Any:
    matrix = services.priority_matrix()
    authorize(request.user, VIEW, matrix)
    return matrix


@router.put(
    "/priority-matrix",
    response={200: PriorityMatrixOut, **ERRORS},
    tags=["priorities"],
    summary="Replace the matrix (every cell; send the version you read; 409 if it moved on)",
)
def priority_matrix_put(request: HttpRequest, payload: PriorityMatrixIn) -> Any:
    authorize(request.user, CHANGE, services.priority_matrix())
    cells = {key: value.value for key, value in payload.cells.items()}
    return services.priority_matrix_update(expected_version=payload.version, cells=cells)


@router.get(
    "/priority",
    response={200: PriorityOut, **ERRORS},
    tags=["priorities"],
    summary="The priority the matrix gives to an impact and a severity",
)
def priority_lookup(request: HttpRequest, impact: Impact, severity: Severity) -> Any:
    authorize(request.user, VIEW, services.priority_matrix())
    return {
        "impact": impact,
        "severity": severity,
        "priority": services.priority_for(impact.value, severity.value),
    }
