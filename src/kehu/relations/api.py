"""REST endpoints of the relationship map (/api/relations): the same rules as the pages.

Everything here is personal data: only the account's team, their leads, after-sales and
administrators get it (rules.py); everyone else gets 404.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from kehu.access.permissions import CHANGE, access_object, is_staff_member
from kehu.core.api import ERRORS, ErrorOut
from kehu.customers.models import Account, Contact
from kehu.org.models import Department, Employee, Service
from kehu.relations import coverage, fire, imports, selectors, services, team
from kehu.relations.models import (
    BuyingRole,
    BuyingRoleKind,
    FireRequest,
    GapKind,
    Interaction,
    InteractionKind,
    Person,
    RelationshipLevel,
    SocialStyle,
    Stage,
    Stance,
)
from kehu.relations.rules import (
    can_edit_relations,
    can_manage_team,
    can_see_fire_speed,
    can_view_relations,
    relations_accounts,
)

router = Router(tags=["relationships"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=services.MAX_TEXT)]
Short = Annotated[str, Field(max_length=200)]


class BuyingRoleOut(Schema):
    role: BuyingRoleKind
    stance: Stance
    cares_about: str
    covered_by_id: int | None
    version: int


class PersonOut(Schema):
    id: int
    contact_id: int
    name: str
    account_id: int
    title: str
    department: str
    reports_to_id: int | None
    influence: int
    stage: Stage
    social_style: str
    style_tip: str
    notes: str
    is_coach: bool
    coach_influence: str
    coach_informed: str
    coach_win_win: str
    coach_lapsed: bool
    need_company_economic: str
    need_company_business: str
    need_company_social: str
    need_personal_economic: str
    need_personal_business: str
    need_personal_social: str
    power: str
    risk_orientation: str
    interests: str
    profile_erased_at: datetime | None
    roles: list[BuyingRoleOut]
    version: int

    @staticmethod
    def resolve_name(obj: Person) -> str:
        return obj.contact.name

    @staticmethod
    def resolve_roles(obj: Person) -> list[BuyingRole]:
        return list(obj.roles.all())


class StepOut(Schema):
    number: int
    title: str
    done: bool
    missing: list[str]


class LevelOut(Schema):
    level: RelationshipLevel
    evidence: str
    need_economic: str
    need_business: str
    need_social: str
    version: int


class InteractionOut(Schema):
    id: int
    account_id: int
    kind: InteractionKind
    occurred_on: date
    subject: str
    people_ids: list[int]
    our_attendee_ids: list[int]
    notes: str
    next_step: str
    next_step_due: date | None
    spin_situation: str
    spin_problem: str
    spin_implication: str
    spin_need_payoff: str
    recorded_by_id: int | None
    version: int

    @staticmethod
    def resolve_people_ids(obj: Interaction) -> list[int]:
        return [p.pk for p in obj.people.all()]

    @staticmethod
    def resolve_our_attendee_ids(obj: Interaction) -> list[int]:
        return [e.pk for e in obj.our_attendees.all()]


class MapOut(Schema):
    account_id: int
    level: LevelOut | None
    people: list[PersonOut]
    steps: list[StepOut]
    gaps: list[str]
    interactions: list[InteractionOut]


class PersonIn(Schema):
    contact_id: Id
    title: Short = ""
    department: Short = ""
    reports_to_id: Id | None = None
    influence: Annotated[int, Field(ge=1, le=5)] = 3
    stage: Stage = Stage.ACQUAINTANCE
    social_style: SocialStyle | None = None
    notes: Text = ""
    is_coach: bool = False
    coach_influence: Text = ""
    coach_informed: Text = ""
    coach_win_win: Text = ""
    need_company_economic: Text = ""
    need_company_business: Text = ""
    need_company_social: Text = ""
    need_personal_economic: Text = ""
    need_personal_business: Text = ""
    need_personal_social: Text = ""
    power: Text = ""
    risk_orientation: Text = ""
    interests: Text = ""


class PersonPatch(Schema):
    version: Annotated[int, Field(ge=1)]
    title: Short | None = None
    department: Short | None = None
    reports_to_id: Id | None = None
    influence: Annotated[int, Field(ge=1, le=5)] | None = None
    social_style: SocialStyle | None = None
    notes: Text | None = None
    is_coach: bool | None = None
    coach_influence: Text | None = None
    coach_informed: Text | None = None
    coach_win_win: Text | None = None
    need_company_economic: Text | None = None
    need_company_business: Text | None = None
    need_company_social: Text | None = None
    need_personal_economic: Text | None = None
    need_personal_business: Text | None = None
    need_personal_social: Text | None = None
    power: Text | None = None
    risk_orientation: Text | None = None
    interests: Text | None = None


class StageIn(Schema):
    version: Annotated[int, Field(ge=1)]
    to_stage: Stage
    changed_on: date | None = None
    interaction_id: Id | None = None
    reason: Text = ""


class StageChangeOut(Schema):
    id: int
    person_id: int
    from_stage: str
    to_stage: Stage
    changed_on: date
    interaction_id: int | None
    recorded_by_id: int | None
    reason: str


class BuyingRoleIn(Schema):
    stance: Stance = Stance.NEUTRAL
    cares_about: Text = ""
    covered_by_id: Id | None = None


class LevelIn(Schema):
    level: RelationshipLevel
    evidence: Text = ""
    need_economic: Text = ""
    need_business: Text = ""
    need_social: Text = ""
    version: Annotated[int, Field(ge=1)] | None = None


class InteractionIn(Schema):
    kind: InteractionKind
    occurred_on: date
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    people_ids: Annotated[list[Id], Field(max_length=500)] = []
    our_attendee_ids: Annotated[list[Id], Field(max_length=500)] = []
    notes: Text = ""
    next_step: Annotated[str, Field(max_length=300)] = ""
    next_step_due: date | None = None
    spin_situation: Text = ""
    spin_problem: Text = ""
    spin_implication: Text = ""
    spin_need_payoff: Text = ""


def _account(request: HttpRequest, account_id: int, *, edit: bool = False) -> Account:
    account = access_object(request.user, Account, account_id)
    if not can_view_relations(request.user, account):
        raise Http404
    if edit and not can_edit_relations(request.user, account):
        raise PermissionDenied
    return account


def _people() -> Any:
    return Person.objects.select_related("contact", "account").prefetch_related("roles")


def _person(request: HttpRequest, pk: int, action: str = CHANGE) -> Person:
    return access_object(request.user, Person, pk, action=action, queryset=_people())


def _interactions() -> Any:
    return Interaction.objects.prefetch_related(
        Prefetch("people", queryset=Person.objects.only("pk")), "our_attendees"
    )


@router.get(
    "/accounts/{int:account_id}",
    response={200: MapOut, **ERRORS},
    summary="An account's relationship map: level, people with roles, the five steps, gaps",
)
def map_get(request: HttpRequest, account_id: int) -> Any:
    data = selectors.account_map(_account(request, account_id))
    return {
        "account_id": account_id,
        "level": data.level,
        "people": data.people,
        "steps": [
            {"number": s.number, "title": str(s.title), "done": s.done, "missing": s.missing}
            for s in data.steps
        ],
        "gaps": data.gaps,
        "interactions": data.interactions,
    }


@router.post(
    "/accounts/{int:account_id}/people",
    response={201: PersonOut, **ERRORS},
    summary="Put one of the account's contacts on its map (422: contact of another account, "
    "already on the map, manager of another account)",
)
def person_create(request: HttpRequest, account_id: int, payload: PersonIn) -> Any:
    account = _account(request, account_id, edit=True)
    data = payload.dict()
    contact = Contact.objects.filter(pk=data.pop("contact_id")).first()
    if contact is None or contact.account_id != account.pk:
        raise ValidationError({"contact_id": services.other_account_message()})
    data["social_style"] = data["social_style"] or ""
    person = services.person_create(
        account=account,
        contact=contact,
        by=request.user,
        reports_to_id=data.pop("reports_to_id"),
        **data,
    )
    return Status(201, _people().get(pk=person.pk))


@router.get("/people/{int:pk}", response={200: PersonOut, **ERRORS}, summary="Read a person")
def person_get(request: HttpRequest, pk: int) -> Any:
    return _person(request, pk, action="view")


@router.patch(
    "/people/{int:pk}",
    response={200: PersonOut, **ERRORS},
    summary="Change a person's profile (409 on a stale version; 422 on a reporting loop)",
)
def person_update(request: HttpRequest, pk: int, payload: PersonPatch) -> Any:
    person = _person(request, pk)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    reports_to = data.pop("reports_to_id", ...)
    for name, value in list(data.items()):
        if value is None:
            if name in ("social_style",):
                data[name] = ""
            else:
                raise ValidationError({name: services.empty_message()})
    services.person_update(person=person, version=version, reports_to_id=reports_to, **data)
    return _people().get(pk=pk)


@router.post(
    "/people/{int:pk}/stage",
    response={201: StageChangeOut, **ERRORS},
    summary="Move a person to another stage, dated, with its cause (reason needed going back)",
)
def stage_change(request: HttpRequest, pk: int, payload: StageIn) -> Any:
    person = _person(request, pk)
    interaction = None
    if payload.interaction_id is not None:
        interaction = Interaction.objects.filter(
            pk=payload.interaction_id, account_id=person.account_id
        ).first()
        if interaction is None:
            raise ValidationError({"interaction_id": services.interaction_message()})
    change = services.stage_change(
        person=person,
        version=payload.version,
        to_stage=payload.to_stage.value,
        by=request.user,
        changed_on=payload.changed_on,
        interaction=interaction,
        reason=payload.reason,
    )
    return Status(201, change)


@router.get(
    "/people/{int:pk}/stage",
    response={200: list[StageChangeOut], **ERRORS},
    summary="A person's stage history, newest first",
)
def stage_history(request: HttpRequest, pk: int) -> Any:
    return list(_person(request, pk, action="view").stage_changes.all())


@router.put(
    "/people/{int:pk}/roles/{role}",
    response={200: BuyingRoleOut, **ERRORS},
    summary="Give a person a buying role, or change its stance and concerns",
)
def role_put(request: HttpRequest, pk: int, role: BuyingRoleKind, payload: BuyingRoleIn) -> Any:
    person = _person(request, pk)
    return services.role_set(
        person=person,
        role=role.value,
        stance=payload.stance.value,
        cares_about=payload.cares_about,
        covered_by_id=payload.covered_by_id,
    )


@router.delete(
    "/people/{int:pk}/roles/{role}",
    response={204: None, **ERRORS},
    summary="Take a buying role away from a person",
)
def role_delete(request: HttpRequest, pk: int, role: BuyingRoleKind) -> Any:
    services.role_remove(person=_person(request, pk), role=role.value)
    return Status(204, None)


@router.put(
    "/accounts/{int:account_id}/level",
    response={200: LevelOut, **ERRORS},
    summary="Set the account's relationship level with evidence (version once it exists; 409)",
)
def level_put(request: HttpRequest, account_id: int, payload: LevelIn) -> Any:
    account = _account(request, account_id, edit=True)
    return services.level_set(
        account=account,
        level=payload.level.value,
        evidence=payload.evidence,
        version=payload.version,
        need_economic=payload.need_economic,
        need_business=payload.need_business,
        need_social=payload.need_social,
    )


@router.get(
    "/accounts/{int:account_id}/interactions",
    response={200: list[InteractionOut], **ERRORS},
    summary="The account's interactions, newest first (at most 500)",
)
def interaction_list(request: HttpRequest, account_id: int) -> Any:
    account = _account(request, account_id)
    return list(_interactions().filter(account=account).order_by("-occurred_on", "-pk")[:500])


@router.post(
    "/accounts/{int:account_id}/interactions",
    response={201: InteractionOut, **ERRORS},
    summary="Record a past interaction (422: future date, attendee of another account)",
)
def interaction_create(request: HttpRequest, account_id: int, payload: InteractionIn) -> Any:
    account = _account(request, account_id, edit=True)
    data = payload.dict()
    interaction = services.interaction_record(account=account, by=request.user, **data)
    return Status(201, _interactions().get(pk=interaction.pk))


# --- the iron triangle and calls for fire -------------------------------------------------------


class RelationsEmployeeOut(Schema):
    id: int
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class RelationsCreditOut(Schema):
    seat: str
    employee: RelationsEmployeeOut


class RelationsTeamOut(Schema):
    account_id: int
    account_manager: RelationsEmployeeOut | None
    solution_manager: RelationsEmployeeOut | None
    fulfilment_manager: RelationsEmployeeOut | None
    members: list[RelationsEmployeeOut]
    vacant_seats: list[str]
    credited_to: list[RelationsCreditOut]
    version: int

    @staticmethod
    def resolve_members(obj: Any) -> list[Any]:
        return list(obj.members.all())

    @staticmethod
    def resolve_credited_to(obj: Any) -> list[dict[str, Any]]:
        return [
            {"seat": seat, "employee": employee} for seat, employee in selectors.credited_to(obj)
        ]


class RelationsTeamIn(Schema):
    account_manager_id: Id
    solution_manager_id: Id
    fulfilment_manager_id: Id
    member_ids: Annotated[list[Id], Field(max_length=100)] = []
    version: Annotated[int, Field(ge=1)] | None = None


class RelationsTicketStateOut(Schema):
    open: int
    breached: int
    at_risk: int
    resolved_recently: int


class RelationsDashboardOut(Schema):
    account_id: int
    team: RelationsTeamOut | None
    credited_to: list[RelationsCreditOut]
    tickets: RelationsTicketStateOut
    complaints_open: int
    complaints_last_year: int
    usage_last_30_days: Decimal
    usage_previous_30_days: Decimal
    usage_open_alerts: int
    people_on_map: int
    current_step: int | None
    gaps: list[str]
    open_fire_requests: int


class RelationsFireIn(Schema):
    department_id: Id
    service_id: Id | None = None
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(min_length=1, max_length=fire.MAX_BODY)]


class RelationsFireOut(Schema):
    id: int
    account_id: int
    ticket_id: int
    ticket_reference: str
    subject: str
    department_id: int
    requested_by_id: int
    status: str
    priority: str
    sla_breached: bool
    first_response_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_ticket_reference(obj: FireRequest) -> str:
        return obj.ticket.reference

    @staticmethod
    def resolve_subject(obj: FireRequest) -> str:
        return obj.ticket.subject

    @staticmethod
    def resolve_status(obj: FireRequest) -> str:
        return obj.ticket.status

    @staticmethod
    def resolve_priority(obj: FireRequest) -> str:
        return obj.ticket.priority

    @staticmethod
    def resolve_sla_breached(obj: FireRequest) -> bool:
        return obj.ticket.sla_breached

    @staticmethod
    def resolve_first_response_at(obj: FireRequest) -> datetime | None:
        return obj.ticket.first_response_at


class RelationsFireSpeedOut(Schema):
    department_id: int
    department: str
    requests: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None


def _employee(pk: int, field: str) -> Employee:
    found = Employee.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: services.unknown_employee_message()})
    return found


@router.get(
    "/accounts/{int:account_id}/team",
    response={200: RelationsTeamOut, **ERRORS},
    summary="The account's iron triangle (404 when it has none yet or you may not see it)",
)
def team_get(request: HttpRequest, account_id: int) -> Any:
    found = selectors.iron_triangle(_account(request, account_id))
    if found is None:
        raise Http404
    return found


@router.put(
    "/accounts/{int:account_id}/team",
    response={200: RelationsTeamOut, **ERRORS},
    summary="Name the iron triangle: AR (becomes the owner), SR, FR, members "
    "(version once it exists; 409 stale; 422 one person in two seats, inactive employee)",
)
def team_put(request: HttpRequest, account_id: int, payload: RelationsTeamIn) -> Any:
    account = _account(request, account_id)
    if not can_manage_team(request.user, account):
        raise PermissionDenied
    members = list(Employee.objects.filter(pk__in=set(payload.member_ids)))
    if len(members) != len(set(payload.member_ids)):
        raise ValidationError({"member_ids": services.unknown_employee_message()})
    team.triangle_set(
        account=account,
        account_manager=_employee(payload.account_manager_id, "account_manager_id"),
        solution_manager=_employee(payload.solution_manager_id, "solution_manager_id"),
        fulfilment_manager=_employee(payload.fulfilment_manager_id, "fulfilment_manager_id"),
        members=members,
        by=request.user,
        version=payload.version,
    )
    return selectors.iron_triangle(account)


@router.get(
    "/accounts/{int:account_id}/dashboard",
    response={200: RelationsDashboardOut, **ERRORS},
    summary="The iron triangle's shared dashboard: tickets and SLA, complaints, usage, coverage",
)
def dashboard_get(request: HttpRequest, account_id: int) -> Any:
    account = _account(request, account_id)
    board = selectors.team_dashboard(account)
    step = board.relationship.current_step
    return {
        "account_id": account.pk,
        "team": board.triangle,
        "credited_to": [{"seat": s, "employee": e} for s, e in board.credited],
        "tickets": board.tickets,
        "complaints_open": board.complaints_open,
        "complaints_last_year": board.complaints_last_year,
        "usage_last_30_days": board.usage.last_30_days,
        "usage_previous_30_days": board.usage.previous_30_days,
        "usage_open_alerts": board.usage.open_alerts,
        "people_on_map": len(board.relationship.people),
        "current_step": step.number if step else None,
        "gaps": board.relationship.gaps,
        "open_fire_requests": len(fire.account_requests(account, open_only=True)),
    }


@router.get(
    "/accounts/{int:account_id}/fire",
    response={200: list[RelationsFireOut], **ERRORS},
    summary="The account's calls for fire, newest first (at most 100)",
)
def fire_list(request: HttpRequest, account_id: int, open_only: bool = False) -> Any:
    return fire.account_requests(_account(request, account_id), open_only=open_only)


@router.post(
    "/accounts/{int:account_id}/fire",
    response={201: RelationsFireOut, **ERRORS},
    summary="Call for fire: an internal ticket in the department's queue with the account's "
    "priority (403 unless on the account's triangle; 422 department without catalogue or desk)",
)
def fire_create(request: HttpRequest, account_id: int, payload: RelationsFireIn) -> Any:
    account = _account(request, account_id)
    if not fire.can_call_fire(request.user, account, selectors.iron_triangle(account)):
        raise PermissionDenied
    department = Department.objects.filter(pk=payload.department_id).first()
    if department is None:
        raise ValidationError({"department_id": services.unknown_department_message()})
    service = None
    if payload.service_id is not None:
        service = Service.objects.filter(pk=payload.service_id, department=department).first()
        if service is None:
            raise ValidationError({"service_id": services.unknown_service_message()})
    made = fire.call_for_fire(
        account=account,
        department=department,
        service=service,
        subject=payload.subject,
        body=payload.body,
        by=request.user,
    )
    return Status(201, made)


@router.get(
    "/fire/speed",
    response={200: list[RelationsFireSpeedOut], **ERRORS},
    summary="Per department, how fast calls for fire were first answered (median, p90 minutes; "
    "leads, after-sales and administrators; 403 otherwise)",
)
def fire_speed(request: HttpRequest, days: Annotated[int, Field(ge=1, le=730)] = 90) -> Any:
    if not can_see_fire_speed(request.user):
        raise PermissionDenied
    return [
        {
            "department_id": s.department.pk,
            "department": str(s.department),
            "requests": s.requests,
            "answered": s.answered,
            "median_minutes": s.median_minutes,
            "p90_minutes": s.p90_minutes,
        }
        for s in fire.fire_speed(days=days)
    ]


class RelationsCoverageOut(Schema):
    account_id: int
    account: str
    level: str
    account_manager_id: int | None
    people: int
    roles_known: int
    key_at_trust: int
    open_gaps: list[GapKind]


@router.get(
    "/coverage",
    response={200: list[RelationsCoverageOut], **ERRORS},
    summary="Key accounts you may see by relationship coverage, the most open gaps first",
)
def coverage_get(request: HttpRequest) -> Any:
    if not is_staff_member(request.user):
        raise PermissionDenied
    return [
        {
            "account_id": row.account.pk,
            "account": row.account.name,
            "level": row.account.level,
            "account_manager_id": row.account.owner_id,
            "people": row.people,
            "roles_known": row.roles_known,
            "key_at_trust": row.key_at_trust,
            "open_gaps": row.open_gaps,
        }
        for row in coverage.coverage_list(relations_accounts(request.user))
    ]


@router.post(
    "/people/{int:pk}/erase",
    response={200: PersonOut, **ERRORS},
    summary="Erase the person's personal profile on their request (style, notes, personal "
    "needs, power, risk orientation, interests); the audit log records that it was erased",
)
def person_erase(request: HttpRequest, pk: int) -> Any:
    services.person_erase_profile(person=_person(request, pk), by=request.user)
    return _people().get(pk=pk)


@router.get(
    "/people/{int:pk}/export",
    response={200: dict[str, Any], **ERRORS},
    summary="Everything held about one person, for a data-subject request (JSON)",
)
def person_export(request: HttpRequest, pk: int) -> Any:
    return selectors.person_export(_person(request, pk))


class RelationsImportErrorOut(Schema):
    line: int
    column: str
    message: str


class RelationsImportOut(Schema):
    ok: bool
    dry_run: bool
    created: int
    updated: int
    errors: list[RelationsImportErrorOut]


@router.post(
    "/accounts/{int:account_id}/import",
    response={**ERRORS, 200: RelationsImportOut, 422: RelationsImportOut | ErrorOut},
    summary="Import the account's org map from CSV/XLSX (name, title, department, reports_to, "
    "influence, stage, roles, coach): every row or none, errors per row and column",
)
def map_import(
    request: HttpRequest, account_id: int, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    account = _account(request, account_id, edit=True)
    if (file.size or 0) > settings.IMPORT_MAX_BYTES:
        raise ValidationError({"file": services.file_too_large_message()})
    result = imports.import_map(
        account=account,
        filename=file.name or "",
        data=file.read(),
        user=request.user,
        dry_run=dry_run,
    )
    return Status(200 if result.ok else 422, result)


@router.get(
    "/accounts/{int:account_id}/map-rows",
    response={200: list[dict[str, Any]], **ERRORS},
    summary="The account's org map as the import's rows (the XLSX export's content as JSON)",
)
def map_rows(request: HttpRequest, account_id: int) -> Any:
    header, rows = imports.export_map(_account(request, account_id))
    return [dict(zip(header, row, strict=True)) for row in rows]
