"""REST endpoints of the service desk. So far: business calendars and due-time calculation."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
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
from kehu.customers.models import AccountLevel
from kehu.desk.models import BusinessCalendar, Category, SlaPolicy
from kehu.desk.priority import Impact, Priority, Severity, TicketType
from kehu.desk.sla import engine as sla
from kehu.desk.sla import selectors, services
from kehu.org.models import Department, Employee, KeyRole, Service

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


class TargetIO(Schema):
    priority: Priority
    first_response_minutes: int = Field(..., ge=1, le=60 * 24 * 365)
    next_response_minutes: int | None = Field(None, ge=1, le=60 * 24 * 365)
    resolution_minutes: int = Field(..., ge=1, le=60 * 24 * 365)


class EscalationIO(Schema):
    level: int = Field(..., ge=1, le=20)
    after_minutes: int = Field(
        0, ge=0, le=60 * 24 * 365, description="Business minutes after the breach"
    )
    recipient: Literal["assignee", "team_lead", "department_head", "key_role", "group"]
    key_role_id: int | None = None
    people_ids: list[int] = Field(default_factory=list, max_length=100)


class SlaPolicyIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    position: int = Field(0, ge=0, le=100000)
    is_active: bool = True
    calendar_id: int
    ticket_types: list[TicketType] = Field(default_factory=list)
    department_ids: list[int] = Field(default_factory=list, max_length=1000)
    service_ids: list[int] = Field(default_factory=list, max_length=1000)
    category_ids: list[int] = Field(default_factory=list, max_length=1000)
    account_levels: list[AccountLevel] = Field(default_factory=list)
    warning_fraction: float = Field(0.75, ge=0.05, le=0.99)
    targets: list[TargetIO] = Field(..., min_length=1, max_length=4)
    escalation: list[EscalationIO] = Field(default_factory=list, max_length=20)


class SlaPolicyUpdate(SlaPolicyIn):
    version: int


class SlaPolicyOut(Schema):
    id: int
    name: str
    name_en: str
    position: int
    is_active: bool
    calendar_id: int
    ticket_types: list[str]
    department_ids: list[int]
    service_ids: list[int]
    category_ids: list[int]
    account_levels: list[str]
    warning_fraction: float
    targets: list[TargetIO]
    escalation: list[EscalationIO]
    version: int

    @staticmethod
    def resolve_category_ids(obj: SlaPolicy) -> list[int]:
        return [c.pk for c in obj.categories.all()]

    @staticmethod
    def resolve_escalation(obj: SlaPolicy) -> list[dict[str, Any]]:
        return [
            {
                "level": s.level,
                "after_minutes": s.after_minutes,
                "recipient": s.recipient,
                "key_role_id": s.key_role_id,
                "people_ids": [p.pk for p in s.people.all()],
            }
            for s in obj.escalation_steps.all()
        ]

    @staticmethod
    def resolve_department_ids(obj: SlaPolicy) -> list[int]:
        return [d.pk for d in obj.departments.all()]

    @staticmethod
    def resolve_service_ids(obj: SlaPolicy) -> list[int]:
        return [s.pk for s in obj.services.all()]

    @staticmethod
    def resolve_targets(obj: SlaPolicy) -> list[Any]:
        return list(obj.targets.all())


class PolicyMatchOut(Schema):
    policy_id: int | None
    target: TargetIO | None


def _policy_args(payload: SlaPolicyIn) -> dict[str, Any]:
    calendar = BusinessCalendar.objects.filter(pk=payload.calendar_id).first()
    if calendar is None:
        raise ValidationError({"calendar_id": "No calendar has this id."})
    departments = list(Department.objects.filter(pk__in=set(payload.department_ids)))
    services_ = list(Service.objects.filter(pk__in=set(payload.service_ids)))
    if len(departments) != len(set(payload.department_ids)) or len(services_) != len(
        set(payload.service_ids)
    ):
        raise ValidationError({"department_ids": "One or more of these ids do not exist."})
    categories = list(Category.objects.filter(pk__in=set(payload.category_ids)))
    if len(categories) != len(set(payload.category_ids)):
        raise ValidationError({"category_ids": "One or more of these ids do not exist."})
    for step in payload.escalation:
        if (
            step.key_role_id is not None
            and not KeyRole.objects.filter(pk=step.key_role_id).exists()
        ):
            raise ValidationError({"escalation": f"Level {step.level}: no key role has this id."})
        if len(Employee.objects.filter(pk__in=set(step.people_ids))) != len(set(step.people_ids)):
            raise ValidationError({"escalation": f"Level {step.level}: unknown people ids."})
    return {
        "fields": {
            "name": payload.name,
            "name_en": payload.name_en,
            "position": payload.position,
            "is_active": payload.is_active,
            "calendar": calendar,
            "ticket_types": [t.value for t in payload.ticket_types],
            "account_levels": [level.value for level in payload.account_levels],
            "warning_fraction": Decimal(str(round(payload.warning_fraction, 2))),
        },
        "departments": departments,
        "services": services_,
        "categories": categories,
        "escalation": [
            services.EscalationSpec(
                s.level, s.after_minutes, s.recipient, s.key_role_id, tuple(s.people_ids)
            )
            for s in payload.escalation
        ],
        "targets": [
            services.TargetSpec(
                t.priority.value,
                t.first_response_minutes,
                t.next_response_minutes,
                t.resolution_minutes,
            )
            for t in payload.targets
        ],
    }


@router.get(
    "/sla-policies",
    response=list[SlaPolicyOut],
    tags=["SLA policies"],
    summary="SLA policies in the order tried",
)
def sla_policy_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, SlaPolicy)
    return list(selectors.sla_policies())


@router.get(
    "/sla-policies/match",
    response={200: PolicyMatchOut, **ERRORS},
    tags=["SLA policies"],
    summary="The policy and target a ticket with these attributes would get",
)
def sla_policy_match(
    request: HttpRequest,
    ticket_type: TicketType,
    priority: Priority,
    department_id: int | None = None,
    service_id: int | None = None,
) -> Any:
    authorize(request.user, VIEW, SlaPolicy)
    found = selectors.sla_policy_for(
        ticket_type=ticket_type.value,
        priority=priority.value,
        department_id=department_id,
        service_id=service_id,
    )
    return (
        {"policy_id": found[0].pk, "target": found[1]}
        if found
        else {"policy_id": None, "target": None}
    )


@router.get(
    "/sla-policies/{int:pk}",
    response={200: SlaPolicyOut, **ERRORS},
    tags=["SLA policies"],
    summary="Read an SLA policy",
)
def sla_policy_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, SlaPolicy, pk, queryset=selectors.sla_policies())


@router.post(
    "/sla-policies",
    response={201: SlaPolicyOut, **ERRORS},
    tags=["SLA policies"],
    summary="Create an SLA policy",
)
def sla_policy_create(request: HttpRequest, payload: SlaPolicyIn) -> Any:
    authorize(request.user, ADD, SlaPolicy)
    policy = services.sla_policy_save(policy=None, expected_version=None, **_policy_args(payload))
    return Status(201, selectors.sla_policies().get(pk=policy.pk))


@router.put(
    "/sla-policies/{int:pk}",
    response={200: SlaPolicyOut, **ERRORS},
    tags=["SLA policies"],
    summary="Replace an SLA policy (send the version you read; 409 if it moved on)",
)
def sla_policy_update(request: HttpRequest, pk: int, payload: SlaPolicyUpdate) -> Any:
    policy = access_object(request.user, SlaPolicy, pk, action=CHANGE)
    services.sla_policy_save(
        policy=policy, expected_version=payload.version, **_policy_args(payload)
    )
    return selectors.sla_policies().get(pk=pk)


@router.delete(
    "/sla-policies/{int:pk}",
    response={204: None, **ERRORS},
    tags=["SLA policies"],
    summary="Delete an SLA policy",
)
def sla_policy_delete(request: HttpRequest, pk: int) -> Any:
    object_delete(access_object(request.user, SlaPolicy, pk, action=DELETE))
    return Status(204, None)
