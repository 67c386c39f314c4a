"""REST endpoints of the pipeline (/api/pipeline): the same rules as the pages.

Statuses: 200/201/204 done; 401 not signed in; 403 may see but not change (auditors, readers);
404 not there or not visible (customers get 404 or 403 for everything here); 409 a stale
``version`` or a move/state the object does not allow (nothing written); 422 bad input.
Amounts are decimal strings with at most two decimals, currencies ISO 4217 codes.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import (
    ADD,
    CHANGE,
    DELETE,
    VIEW,
    access_object,
    authorize,
    require_staff,
)
from kehu.core.api import ERRORS, ErrorOut, OrderedCursorPagination
from kehu.customers.models import Account
from kehu.org.models import Employee
from kehu.pipeline import imports, selectors, services
from kehu.pipeline.models import (
    Competitor,
    Lead,
    LeadSource,
    LeadStatus,
    Opportunity,
    Outcome,
    Stage,
    StageMove,
    Threat,
    WinLossReason,
)
from kehu.pipeline.rules import visible_leads
from kehu.relations.models import BuyingRoleKind, Person, Stance

router = Router(tags=["pipeline"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=services.MAX_TEXT)]
Short = Annotated[str, Field(max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Currency = Annotated[str, Field(pattern="^[A-Za-z]{3}$", description="ISO 4217, e.g. CNY")]
Percent = Annotated[int, Field(ge=0, le=100)]
Version = Annotated[int, Field(ge=1)]
# Report periods: far-off years would overflow the date arithmetic and mean nothing.
PeriodDate = Annotated[date, Field(ge=date(1900, 1, 1), le=date(2999, 12, 31))]


def _conflict(exc: Exception) -> Status:
    return Status(409, {"code": "refused", "message": str(exc), "errors": []})


# --- schemas ---------------------------------------------------------------------------------


class PipelineStageOut(Schema):
    id: int
    code: str
    name: str
    name_en: str
    position: int
    probability: int
    outcome: Outcome
    is_active: bool
    version: int


class PipelineStageIn(Schema):
    code: Annotated[str, Field(pattern="^[-a-z0-9_]{1,30}$")]
    name: Name
    name_en: Short = ""
    position: Annotated[int, Field(ge=0, le=32767)] = 0
    probability: Percent
    outcome: Outcome = Outcome.OPEN


class PipelineStagePatch(Schema):
    version: Version
    name: Name | None = None
    name_en: Short | None = None
    position: Annotated[int, Field(ge=0, le=32767)] | None = None
    probability: Percent | None = None
    is_active: bool | None = None


class PipelineLeadOut(Schema):
    id: int
    title: str
    source: LeadSource
    account_id: int | None
    prospect_name: str
    contact_name: str
    owner_id: int | None
    status: LeadStatus
    notes: str
    opportunity_id: int | None
    created_at: datetime
    version: int


class PipelineLeadIn(Schema):
    title: Name
    source: LeadSource
    account_id: Id | None = None
    prospect_name: Short = ""
    contact_name: Short = ""
    owner_id: Id | None = None
    status: LeadStatus = LeadStatus.NEW
    notes: Text = ""


class PipelineLeadPatch(Schema):
    version: Version
    title: Name | None = None
    source: LeadSource | None = None
    account_id: Id | None = None
    prospect_name: Short | None = None
    contact_name: Short | None = None
    owner_id: Id | None = None
    status: LeadStatus | None = None
    notes: Text | None = None


class PipelineConvertIn(Schema):
    version: Version
    amount: Money
    currency: Currency = "CNY"
    expected_close: date
    name: Short = ""
    account_id: Id | None = None


class PipelineRoleOut(Schema):
    person_id: int
    role: BuyingRoleKind
    stance: Stance


class PipelineCompetitorOut(Schema):
    id: int
    name: str
    threat: Threat
    notes: str


class PipelineOpportunityOut(Schema):
    id: int
    account_id: int
    name: str
    description: str
    stage_id: int
    stage_code: str
    outcome: Outcome
    stage_entered_at: datetime
    probability: int
    probability_override: int | None
    probability_reason: str
    amount: Decimal
    weighted_amount: Decimal
    currency: str
    expected_close: date
    closed_at: datetime | None
    ar_id: int | None
    sr_id: int | None
    fr_id: int | None
    member_ids: list[int]
    buying_roles: list[PipelineRoleOut]
    competitors: list[PipelineCompetitorOut]
    win_loss_reason: str
    win_loss_notes: str
    version: int

    @staticmethod
    def resolve_stage_code(obj: Opportunity) -> str:
        return obj.stage.code

    @staticmethod
    def resolve_outcome(obj: Opportunity) -> str:
        return obj.stage.outcome

    @staticmethod
    def resolve_member_ids(obj: Opportunity) -> list[int]:
        return [m.pk for m in obj.members.all()]

    @staticmethod
    def resolve_buying_roles(obj: Opportunity) -> list[Any]:
        return list(obj.buying_roles.all())

    @staticmethod
    def resolve_competitors(obj: Opportunity) -> list[Any]:
        return list(obj.competitors.all())


class PipelineOpportunityIn(Schema):
    account_id: Id
    name: Name
    description: Text = ""
    amount: Money
    currency: Currency = "CNY"
    expected_close: date
    stage_id: Id | None = None
    ar_id: Id | None = Field(None, description="Empty: the account's owner")
    sr_id: Id | None = None
    fr_id: Id | None = None
    member_ids: Annotated[list[Id], Field(max_length=100)] = []


class PipelineOpportunityPatch(Schema):
    version: Version
    name: Name | None = None
    description: Text | None = None
    amount: Money | None = None
    currency: Currency | None = None
    expected_close: date | None = None
    ar_id: Id | None = None
    sr_id: Id | None = None
    fr_id: Id | None = None
    member_ids: Annotated[list[Id], Field(max_length=100)] | None = None
    probability_override: Percent | None = Field(
        None, description="null: the stage's probability again"
    )
    probability_reason: Text | None = None


class PipelineMoveIn(Schema):
    version: Version
    stage_id: Id
    win_loss_reason: WinLossReason | None = Field(None, description="Required for won and lost")
    win_loss_notes: Text = ""


class PipelineMoveOut(Schema):
    id: int
    opportunity_id: int
    from_stage_id: int | None
    to_stage_id: int
    moved_at: datetime
    left_at: datetime | None
    moved_by_id: int | None


class PipelineRoleIn(Schema):
    stance: Stance = Stance.NEUTRAL


class PipelineCompetitorIn(Schema):
    name: Name
    threat: Threat = Threat.MEDIUM
    notes: Text = ""


class PipelineOpportunityFilter(Schema):
    q: str | None = Field(None, max_length=100)
    stage: Id | None = None
    account: Id | None = None
    ar: Id | None = None
    department: Id | None = None
    outcome: Outcome | None = None
    currency: Currency | None = None
    close_from: date | None = None
    close_to: date | None = None


class PipelineLeadFilter(Schema):
    status: LeadStatus | None = None


class PipelineForecastQuery(Schema):
    period: str = Field("month", pattern="^(month|quarter)$")
    group: str = Field("", pattern="^(|department|team)$")
    start: PeriodDate | None = None
    end: PeriodDate | None = None


class PipelineForecastRowOut(Schema):
    period: date
    label: str
    group_id: int | None
    group_name: str
    currency: str
    count: int
    amount: Decimal
    weighted: Decimal
    won: Decimal


class PipelineForecastOut(Schema):
    period: str
    group: str
    currencies: list[str]
    rows: list[PipelineForecastRowOut]


class PipelineConversionQuery(Schema):
    start: PeriodDate | None = None
    end: PeriodDate | None = None


class PipelineStageFiguresOut(Schema):
    stage_id: int
    stage_code: str
    entered: int
    advanced: int
    rate: float | None
    average_days: float | None


class PipelineConversionOut(Schema):
    stages: list[PipelineStageFiguresOut]
    won: int
    lost: int
    win_rate: float | None
    average_days_to_win: float | None


class PipelineImportErrorOut(Schema):
    line: int
    column: str
    message: str


class PipelineImportOut(Schema):
    ok: bool
    dry_run: bool
    created: int
    errors: list[PipelineImportErrorOut]


# --- helpers ---------------------------------------------------------------------------------


def _with_relations() -> Any:
    return Opportunity.objects.select_related("stage").prefetch_related(
        "members", "buying_roles", "competitors"
    )


def _opportunity(request: HttpRequest, pk: int, action: str = CHANGE) -> Opportunity:
    return access_object(request.user, Opportunity, pk, action=action, queryset=_with_relations())


def _employee(pk: int | None, field: str) -> Employee | None:
    if pk is None:
        return None
    found = Employee.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: "Unknown employee."})
    return found


def _account(pk: int | None, field: str = "account_id") -> Account | None:
    if pk is None:
        return None
    found = Account.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({field: "Unknown account."})
    return found


# --- stages ----------------------------------------------------------------------------------


@router.get("/stages", response={200: list[PipelineStageOut], **ERRORS}, summary="The stages")
def stage_list(request: HttpRequest) -> Any:
    require_staff(request.user)
    authorize(request.user, VIEW, Stage)
    return list(Stage.objects.all())


@router.post(
    "/stages",
    response={201: PipelineStageOut, **ERRORS},
    summary="Add a stage (administrators; 422: code taken, won not 100 %, lost not 0 %)",
)
def stage_create(request: HttpRequest, payload: PipelineStageIn) -> Any:
    authorize(request.user, ADD, Stage)
    data = payload.dict()
    data["outcome"] = payload.outcome.value
    return Status(201, services.stage_create(**data))


@router.patch(
    "/stages/{int:pk}",
    response={200: PipelineStageOut, **ERRORS},
    summary="Change a stage (administrators; 409: stale version, or retiring a stage in use)",
)
def stage_update(request: HttpRequest, pk: int, payload: PipelineStagePatch) -> Any:
    stage = access_object(request.user, Stage, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    for name, value in list(data.items()):
        if value is None:
            if name == "name_en":
                data[name] = ""
            else:
                raise ValidationError({name: "This field cannot be empty."})
    try:
        return services.stage_update(stage=stage, version=version, **data)
    except services.MoveRefused as exc:
        return _conflict(exc)


# --- leads -----------------------------------------------------------------------------------


@router.get("/leads", response=list[PipelineLeadOut], summary="List the leads you may see")
@paginate(OrderedCursorPagination, orderings=("-created_at", "title"))
def lead_list(request: HttpRequest, filters: Query[PipelineLeadFilter]) -> Any:
    require_staff(request.user)
    found = visible_leads(request.user)
    if filters.status:
        found = found.filter(status=filters.status.value)
    return found


@router.post(
    "/leads",
    response={201: PipelineLeadOut, **ERRORS},
    summary="Record a lead (422: neither account nor prospect, unknown account or owner)",
)
def lead_create(request: HttpRequest, payload: PipelineLeadIn) -> Any:
    authorize(request.user, ADD, Lead)
    data = payload.dict()
    data["account"] = _account(data.pop("account_id"))
    data["owner"] = _employee(data.pop("owner_id"), "owner_id")
    data["source"] = payload.source.value
    data["status"] = payload.status.value
    return Status(201, services.lead_create(by=request.user, **data))


@router.get("/leads/{int:pk}", response={200: PipelineLeadOut, **ERRORS}, summary="Read a lead")
def lead_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, Lead, pk)


@router.patch(
    "/leads/{int:pk}",
    response={200: PipelineLeadOut, **ERRORS},
    summary="Change a lead (409: stale version, or the status of a converted lead)",
)
def lead_update(request: HttpRequest, pk: int, payload: PipelineLeadPatch) -> Any:
    lead = access_object(request.user, Lead, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    if "account_id" in data:
        data["account"] = _account(data.pop("account_id"))
    if "owner_id" in data:
        data["owner"] = _employee(data.pop("owner_id"), "owner_id")
    for name in ("title", "source", "status"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be empty."})
    for name in ("prospect_name", "contact_name", "notes"):
        if name in data and data[name] is None:
            data[name] = ""
    for name in ("source", "status"):
        if name in data:
            data[name] = getattr(data[name], "value", data[name])
    try:
        return services.lead_update(lead=lead, version=version, **data)
    except services.MoveRefused as exc:
        return _conflict(exc)


@router.delete(
    "/leads/{int:pk}",
    response={204: None, **ERRORS},
    summary="Remove a lead (409 once converted)",
)
def lead_delete(request: HttpRequest, pk: int) -> Any:
    lead = access_object(request.user, Lead, pk, action=DELETE)
    try:
        services.lead_delete(lead=lead)
    except services.MoveRefused as exc:
        return _conflict(exc)
    return Status(204, None)


@router.post(
    "/leads/{int:pk}/convert",
    response={201: PipelineOpportunityOut, **ERRORS},
    summary="Convert a lead into an opportunity (a prospect becomes an account; 409: stale "
    "version, already converted or disqualified)",
)
def lead_convert(request: HttpRequest, pk: int, payload: PipelineConvertIn) -> Any:
    lead = access_object(request.user, Lead, pk, action=CHANGE)
    try:
        opportunity = services.lead_convert(
            lead=lead,
            version=payload.version,
            by=request.user,
            amount=payload.amount,
            currency=payload.currency,
            expected_close=payload.expected_close,
            name=payload.name,
            account=_account(payload.account_id),
        )
    except services.MoveRefused as exc:
        return _conflict(exc)
    return Status(201, _with_relations().get(pk=opportunity.pk))


# --- opportunities ---------------------------------------------------------------------------


@router.get(
    "/opportunities",
    response=list[PipelineOpportunityOut],
    summary="List the opportunities you may see, filtered",
)
@paginate(OrderedCursorPagination, orderings=("expected_close", "-amount", "-updated_at"))
def opportunity_list(request: HttpRequest, filters: Query[PipelineOpportunityFilter]) -> Any:
    require_staff(request.user)
    data = filters.dict()
    data["outcome"] = filters.outcome.value if filters.outcome else ""
    data["q"] = data["q"] or ""
    data["currency"] = (data["currency"] or "").upper()
    return (
        selectors.filtered(request.user, selectors.Filters(**data))
        .select_related("stage")
        .prefetch_related("members", "buying_roles", "competitors")
    )


@router.post(
    "/opportunities",
    response={201: PipelineOpportunityOut, **ERRORS},
    summary="Open an opportunity (AR defaults to the account's owner; 422: unknown currency, "
    "negative or over-precise amount, closed stage)",
)
def opportunity_create(request: HttpRequest, payload: PipelineOpportunityIn) -> Any:
    authorize(request.user, ADD, Opportunity)
    account = _account(payload.account_id)
    stage = None
    if payload.stage_id is not None:
        stage = Stage.objects.filter(pk=payload.stage_id).first()
        if stage is None:
            raise ValidationError({"stage_id": "Unknown stage."})
    opportunity = services.opportunity_create(
        by=request.user,
        account=account,  # type: ignore[arg-type]
        name=payload.name,
        description=payload.description,
        amount=payload.amount,
        currency=payload.currency,
        expected_close=payload.expected_close,
        stage=stage,
        ar=_employee(payload.ar_id, "ar_id"),
        sr=_employee(payload.sr_id, "sr_id"),
        fr=_employee(payload.fr_id, "fr_id"),
        member_ids=payload.member_ids,
    )
    return Status(201, _with_relations().get(pk=opportunity.pk))


@router.get(
    "/opportunities/{int:pk}",
    response={200: PipelineOpportunityOut, **ERRORS},
    summary="Read an opportunity",
)
def opportunity_get(request: HttpRequest, pk: int) -> Any:
    return _opportunity(request, pk, VIEW)


@router.patch(
    "/opportunities/{int:pk}",
    response={200: PipelineOpportunityOut, **ERRORS},
    summary="Change an opportunity (not its stage; 409 on a stale version; 422: an override "
    "without its reason, unknown currency)",
)
def opportunity_update(request: HttpRequest, pk: int, payload: PipelineOpportunityPatch) -> Any:
    opportunity = _opportunity(request, pk)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    member_ids = data.pop("member_ids", None)
    for role in ("ar", "sr", "fr"):
        if f"{role}_id" in data:
            data[role] = _employee(data.pop(f"{role}_id"), f"{role}_id")
    for name in ("name", "amount", "currency", "expected_close"):
        if name in data and data[name] is None:
            raise ValidationError({name: "This field cannot be empty."})
    for name in ("description", "probability_reason"):
        if name in data and data[name] is None:
            data[name] = ""
    services.opportunity_update(
        opportunity=opportunity, version=version, member_ids=member_ids, **data
    )
    return _opportunity(request, pk, VIEW)


@router.delete(
    "/opportunities/{int:pk}",
    response={204: None, **ERRORS},
    summary="Remove an opportunity opened by mistake (409 once won)",
)
def opportunity_delete(request: HttpRequest, pk: int) -> Any:
    opportunity = _opportunity(request, pk, DELETE)
    try:
        services.opportunity_delete(opportunity=opportunity)
    except services.MoveRefused as exc:
        return _conflict(exc)
    return Status(204, None)


@router.post(
    "/opportunities/{int:pk}/moves",
    response={201: PipelineMoveOut, **ERRORS},
    summary="Move an opportunity to a stage (409: stale version, same stage, out of won, a "
    "stage not in use; 422: won or lost without its reason)",
)
def opportunity_move(request: HttpRequest, pk: int, payload: PipelineMoveIn) -> Any:
    opportunity = _opportunity(request, pk)
    stage = Stage.objects.filter(pk=payload.stage_id).first()
    if stage is None:
        raise ValidationError({"stage_id": "Unknown stage."})
    try:
        move = services.opportunity_move(
            opportunity=opportunity,
            version=payload.version,
            to_stage=stage,
            by=request.user,
            win_loss_reason=payload.win_loss_reason.value if payload.win_loss_reason else "",
            win_loss_notes=payload.win_loss_notes,
        )
    except services.MoveRefused as exc:
        return _conflict(exc)
    return Status(201, move)


@router.get(
    "/opportunities/{int:pk}/moves",
    response={200: list[PipelineMoveOut], **ERRORS},
    summary="An opportunity's stage history, oldest first",
)
def move_list(request: HttpRequest, pk: int) -> Any:
    opportunity = _opportunity(request, pk, VIEW)
    return list(StageMove.objects.filter(opportunity=opportunity))


@router.put(
    "/opportunities/{int:pk}/roles/{int:person_id}/{role}",
    response={200: PipelineRoleOut, **ERRORS},
    summary="Give one of the account's people a buying role on the opportunity (422: a person "
    "of another account)",
)
def role_put(
    request: HttpRequest, pk: int, person_id: int, role: BuyingRoleKind, payload: PipelineRoleIn
) -> Any:
    opportunity = _opportunity(request, pk)
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ValidationError({"person_id": "Unknown person."})
    return services.role_set(
        opportunity=opportunity, person=person, role=role.value, stance=payload.stance.value
    )


@router.delete(
    "/opportunities/{int:pk}/roles/{int:person_id}/{role}",
    response={204: None, **ERRORS},
    summary="Take a buying role on the opportunity away",
)
def role_delete(request: HttpRequest, pk: int, person_id: int, role: BuyingRoleKind) -> Any:
    services.role_remove(
        opportunity=_opportunity(request, pk), person_id=person_id, role=role.value
    )
    return Status(204, None)


@router.post(
    "/opportunities/{int:pk}/competitors",
    response={201: PipelineCompetitorOut, **ERRORS},
    summary="Name a competitor (422: already named)",
)
def competitor_create(request: HttpRequest, pk: int, payload: PipelineCompetitorIn) -> Any:
    opportunity = _opportunity(request, pk)
    competitor = services.competitor_add(
        opportunity=opportunity,
        name=payload.name,
        threat=payload.threat.value,
        notes=payload.notes,
    )
    return Status(201, competitor)


@router.delete(
    "/competitors/{int:pk}", response={204: None, **ERRORS}, summary="Remove a competitor"
)
def competitor_delete(request: HttpRequest, pk: int) -> Any:
    competitor = access_object(
        request.user,
        Competitor,
        pk,
        action=CHANGE,
        queryset=Competitor.objects.select_related("opportunity"),
    )
    services.competitor_remove(competitor=competitor)
    return Status(204, None)


# --- figures ---------------------------------------------------------------------------------


@router.get(
    "/forecast",
    response={200: PipelineForecastOut, **ERRORS},
    summary="Weighted forecast (amount × probability) per month or quarter, per currency and "
    "optionally per department or team of the AR",
)
def forecast(request: HttpRequest, query: Query[PipelineForecastQuery]) -> Any:
    require_staff(request.user)
    if query.start and query.end and query.end < query.start:
        raise ValidationError({"end": "The end is before the start."})
    return selectors.forecast(
        request.user, period=query.period, group=query.group, start=query.start, end=query.end
    )


@router.get(
    "/conversion",
    response={200: PipelineConversionOut, **ERRORS},
    summary="Stage conversion rates, average days per stage, win rate and days to win",
)
def conversion(request: HttpRequest, query: Query[PipelineConversionQuery]) -> Any:
    require_staff(request.user)
    if query.start and query.end and query.end < query.start:
        raise ValidationError({"end": "The end is before the start."})
    figures = selectors.conversion(request.user, start=query.start, end=query.end)
    return {
        "stages": [
            {
                "stage_id": f.stage.pk,
                "stage_code": f.stage.code,
                "entered": f.entered,
                "advanced": f.advanced,
                "rate": f.rate,
                "average_days": f.average_days,
            }
            for f in figures.stages
        ],
        "won": figures.won,
        "lost": figures.lost,
        "win_rate": figures.win_rate,
        "average_days_to_win": figures.average_days_to_win,
    }


@router.post(
    "/import",
    response={**ERRORS, 200: PipelineImportOut, 422: PipelineImportOut | ErrorOut},
    tags=["import"],
    summary="Import opportunities from CSV/XLSX: every row or none (422 with the rows' errors)",
)
def import_table(
    request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False
) -> Any:
    authorize(request.user, ADD, Opportunity)
    if (file.size or 0) > settings.IMPORT_MAX_BYTES:
        raise ValidationError(
            {"file": f"The file is larger than {settings.IMPORT_MAX_BYTES} bytes."}
        )
    result = imports.import_opportunities(
        filename=file.name or "", data=file.read(), user=request.user, dry_run=dry_run
    )
    return Status(200 if result.ok else 422, result)
