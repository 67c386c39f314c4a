"""REST endpoints of contracts (/api/contracts): the same services and rules as the pages.

Customers get nothing here (403); auditors read and never write. Lifecycle and approval
refusals answer 409 with the reason; bad elements 422 naming each field (``lines.2.unit_price``).
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize, can
from kehu.contracts import approvals, chain, changes, documents, selectors, services
from kehu.contracts import elements as el
from kehu.contracts.models import (
    ApprovalStep,
    ChangeOrder,
    Clause,
    Contract,
    ContractTemplate,
    ContractType,
    Currency,
    Decision,
    GuaranteeKind,
    Kind,
    LineKind,
    MilestoneTrigger,
    PaymentModel,
    RiskRule,
    RiskSeverity,
)
from kehu.contracts.models import (
    Status as ContractStatus,
)
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.customers.models import Account

router = Router(tags=["contracts"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Version = Annotated[int, Field(ge=1, le=2**31)]
Money = Annotated[Decimal, Field(allow_inf_nan=False)]
Short = Annotated[str, Field(max_length=300)]
Long = Annotated[str, Field(max_length=el.MAX_LONG)]


def _refused(exc: Exception) -> Status:
    return Status(409, {"code": "refused", "message": str(exc), "errors": []})


# --- schemas -------------------------------------------------------------------------------------


class ContractLineIn(Schema):
    kind: LineKind
    name: Annotated[str, Field(min_length=1, max_length=200)]
    configuration: Annotated[str, Field(max_length=500)] = ""
    quantity: Money
    unit: Annotated[str, Field(min_length=1, max_length=20)]
    standard: Annotated[str, Field(max_length=200)] = ""
    commitments: Long = ""
    unit_price: Money
    discount_percent: Money = Decimal("0")
    tax_rate: Money = Decimal("13")


class ContractMilestoneIn(Schema):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    trigger: MilestoneTrigger
    percent: Money
    due_on: date | None = None


class ContractElementsIn(Schema):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    currency: Annotated[str, Field(max_length=10)] = Currency.CNY.value
    exchange_rate: Money | None = None
    rebate_percent: Money = Decimal("0")
    payment_model: PaymentModel = PaymentModel.MILESTONES
    payment_days: Annotated[int, Field(ge=0, le=3650)] = 30
    delivery_place: Short = ""
    delivery_due: date | None = None
    delivery_method: Short = ""
    responsibilities: Long = ""
    acceptance_criteria: Long = ""
    initial_acceptance_due: date | None = None
    final_acceptance_due: date | None = None
    advance_percent: Money = Decimal("0")
    guarantee_kind: GuaranteeKind = GuaranteeKind.NONE
    guarantee_percent: Money = Decimal("0")
    our_party: Annotated[str, Field(max_length=200)] = ""
    risk_transfer: Long = ""
    liability_cap_percent: Money | None = None
    liability_terms: Long = ""
    force_majeure: Long = ""
    dispute_terms: Long = ""
    change_terms: Long = ""
    effective_on: date | None = None
    terminates_on: date | None = None
    special_terms: Long = ""
    lines: Annotated[list[ContractLineIn], Field(max_length=el.MAX_LINES)] = []
    milestones: Annotated[list[ContractMilestoneIn], Field(max_length=50)] = []


class ContractCreateIn(ContractElementsIn):
    account_id: Id
    contract_type_id: Id
    kind: Kind = Kind.NON_FORMAT
    template_id: Id | None = None


class ContractUpdateIn(ContractElementsIn):
    version: Version


class ContractLineOut(Schema):
    position: int
    kind: str
    name: str
    configuration: str
    quantity: Decimal
    unit: str
    standard: str
    commitments: str
    unit_price: Decimal
    discount_percent: Decimal
    tax_rate: Decimal
    net: Decimal
    tax: Decimal
    amount: Decimal


class ContractMilestoneOut(Schema):
    position: int
    name: str
    trigger: str
    percent: Decimal
    due_on: date | None
    amount: Decimal


class ContractSummaryOut(Schema):
    id: int
    number: str
    title: str
    account_id: int
    contract_type_id: int
    kind: str
    status: ContractStatus
    owner_id: int
    currency: str
    gross_total: Decimal
    total_cny: Decimal
    revision: int
    version: int


class ContractFindingOut(Schema):
    rule: str
    severity: str
    title_zh: str
    title_en: str
    quote: str


class ContractDecisionOut(Schema):
    sequence: int
    approver_id: int
    decision: str
    comment: str
    decided_at: datetime
    hash: str
    previous_hash: str


class ContractAssigneeOut(Schema):
    user_id: int
    stands_in_for_id: int | None


class ContractStepOut(Schema):
    id: int
    position: int
    name: str
    mode: str
    status: str
    added_by_risk: str
    assignees: list[ContractAssigneeOut]
    decisions: list[ContractDecisionOut]


class ContractRunOut(Schema):
    id: int
    change_order_id: int | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    amount_cny: Decimal
    risk: str
    steps: list[ContractStepOut]


class ContractOut(ContractSummaryOut):
    department_id: int | None
    template_id: int | None
    exchange_rate: Decimal
    rebate_percent: Decimal
    payment_model: str
    payment_days: int
    delivery_place: str
    delivery_due: date | None
    delivery_method: str
    responsibilities: str
    acceptance_criteria: str
    initial_acceptance_due: date | None
    final_acceptance_due: date | None
    advance_percent: Decimal
    guarantee_kind: str
    guarantee_percent: Decimal
    our_party: str
    risk_transfer: str
    liability_cap_percent: Decimal | None
    liability_terms: str
    force_majeure: str
    dispute_terms: str
    change_terms: str
    effective_on: date | None
    terminates_on: date | None
    special_terms: str
    net_total: Decimal
    tax_total: Decimal
    max_discount_percent: Decimal
    lines: list[ContractLineOut]
    milestones: list[ContractMilestoneOut]
    findings: list[ContractFindingOut]
    approval_runs: list[ContractRunOut]
    next_statuses: list[str]
    version_numbers: list[int]


class ContractTransitionIn(Schema):
    to: ContractStatus
    version: Version
    reason: Annotated[str, Field(max_length=500)] = ""


class ContractSubmitIn(Schema):
    version: Version


class ContractDecisionIn(Schema):
    decision: Decision
    comment: Annotated[str, Field(max_length=5000)] = ""


class ContractInboxOut(Schema):
    step_id: int
    step: str
    contract_id: int
    number: str
    title: str
    account: str
    change_order_id: int | None
    amount_cny: Decimal
    risk: str
    waiting_since: datetime


class ContractDiffOut(Schema):
    path: str
    before: Any
    after: Any


class ContractChangeIn(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=5000)]
    elements: ContractElementsIn


class ContractChangeOut(Schema):
    id: int
    contract_id: int
    number: int
    status: str
    reason: str
    cost_impact: Decimal
    schedule_impact_days: int
    base_revision: int
    version: int
    diff: list[ContractDiffOut]


class ContractVersionOut(Schema):
    number: int
    created_at: datetime
    change_order_id: int | None
    elements: dict[str, Any]


class ContractComparisonOut(Schema):
    left: int
    right: int
    differences: list[ContractDiffOut]


class ContractComparePair(Schema):
    left: Version
    right: Version


class ContractFilter(Schema):
    q: Annotated[str, Field(max_length=200)] = ""
    status: ContractStatus | None = None
    contract_type_id: Id | None = None
    account_id: Id | None = None


class ContractTypeOut(Schema):
    id: int
    code: str
    name: str
    name_en: str


class ContractTemplateIn(Schema):
    contract_type_id: Id
    name: Annotated[str, Field(min_length=1, max_length=200)]
    language: Annotated[str, Field(pattern="^(zh-hans|en)$")]
    body: Annotated[str, Field(min_length=1, max_length=100_000)]


class ContractTemplateOut(Schema):
    id: int
    contract_type_id: int
    name: str
    language: str
    body: str
    is_active: bool
    version: int


class ContractClauseIn(Schema):
    code: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[-a-zA-Z0-9_]+$")]
    contract_type_id: Id | None = None
    title_zh: Annotated[str, Field(min_length=1, max_length=200)]
    title_en: Annotated[str, Field(min_length=1, max_length=200)]
    text_zh: Annotated[str, Field(min_length=1, max_length=el.MAX_LONG)]
    text_en: Annotated[str, Field(min_length=1, max_length=el.MAX_LONG)]


class ContractClauseOut(Schema):
    id: int
    code: str
    version: int
    contract_type_id: int | None
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    created_at: datetime


class ContractRiskRuleOut(Schema):
    id: int
    code: str
    kind: str
    parameter: str
    severity: str
    adds_approver_role: str
    title_zh: str
    title_en: str
    is_active: bool
    version: int


class ContractRiskRulePatch(Schema):
    version: Version
    parameter: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    severity: RiskSeverity | None = None
    adds_approver_role: Annotated[str, Field(max_length=32)] | None = None
    is_active: bool | None = None


class ContractVerifyOut(Schema):
    contracts: int
    decisions: int
    problems: list[str]


# --- helpers -------------------------------------------------------------------------------------


def _elements(payload: ContractElementsIn) -> dict[str, Any]:
    data = payload.dict(include=set(el.SCALARS) | {"lines", "milestones"})
    return data


def _out(contract: Contract) -> dict[str, Any]:
    data: dict[str, Any] = {
        f: getattr(contract, f)
        for f in ContractOut.model_fields
        if f
        not in (
            "lines",
            "milestones",
            "findings",
            "approval_runs",
            "next_statuses",
            "version_numbers",
        )
    }
    lines = []
    for line in contract.lines.all():
        amounts = el.line_amounts(line)
        row = {f: getattr(line, f) for f in el.LINE_FIELDS}
        row.update(position=line.position, net=amounts.net, tax=amounts.tax, amount=amounts.gross)
        lines.append(row)
    data["lines"] = lines
    data["milestones"] = [
        {
            "position": m.position,
            "name": m.name,
            "trigger": m.trigger,
            "percent": m.percent,
            "due_on": m.due_on,
            "amount": el.milestone_amount(contract.gross_total, m.percent),
        }
        for m in contract.milestones.all()
    ]
    data["findings"] = [
        {
            "rule": f.rule.code,
            "severity": f.severity,
            "title_zh": f.rule.title_zh,
            "title_en": f.rule.title_en,
            "quote": f.quote,
        }
        for f in contract.findings.all()
    ]
    data["approval_runs"] = [
        {
            "id": run.pk,
            "change_order_id": run.change_order_id,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "amount_cny": run.amount_cny,
            "risk": run.risk,
            "steps": [
                {
                    "id": step.pk,
                    "position": step.position,
                    "name": step.name,
                    "mode": step.mode,
                    "status": step.status,
                    "added_by_risk": step.added_by_risk,
                    "assignees": [
                        {"user_id": a.user_id, "stands_in_for_id": a.stands_in_for_id}
                        for a in step.assignees.all()
                    ],
                    "decisions": list(step.decisions.all()),
                }
                for step in run.steps.all()
            ],
        }
        for run in contract.approval_runs.all()
    ]
    data["next_statuses"] = services.next_statuses(contract)
    data["version_numbers"] = [v.number for v in contract.versions.all()]
    return data


def _contract(request: HttpRequest, pk: int, action: str = VIEW) -> Contract:
    return access_object(request.user, Contract, pk, action, queryset=selectors.detail_queryset())


def _read(pk: int) -> dict[str, Any]:
    return _out(selectors.detail_queryset().get(pk=pk))


def _change_out(change: ChangeOrder) -> dict[str, Any]:
    return {
        "id": change.pk,
        "contract_id": change.contract_id,
        "number": change.number,
        "status": change.status,
        "reason": change.reason,
        "cost_impact": change.cost_impact,
        "schedule_impact_days": change.schedule_impact_days,
        "base_revision": change.base_revision,
        "version": change.version,
        "diff": [d.__dict__ for d in changes.change_diff(change)],
    }


# --- contracts -----------------------------------------------------------------------------------


@router.get(
    "",
    response={200: list[ContractSummaryOut], **ERRORS},
    summary="Contracts you may see, newest first; q searches Chinese and English text",
)
@paginate(OrderedCursorPagination, orderings=("-id", "gross_total", "number"))
def contract_list(request: HttpRequest, filters: Query[ContractFilter]) -> Any:
    authorize(request.user, VIEW, Contract)
    return selectors.contract_list(
        request.user,
        q=filters.q,
        status=filters.status.value if filters.status else "",
        contract_type=filters.contract_type_id,
        account=filters.account_id,
    )


@router.post(
    "",
    response={201: ContractOut, **ERRORS},
    summary="Draft a contract with its elements (422 names each bad element; totals computed)",
)
def contract_create(request: HttpRequest, payload: ContractCreateIn) -> Any:
    authorize(request.user, ADD, Contract)
    account = Account.objects.filter(pk=payload.account_id).first()
    if account is None or not can(request.user, VIEW, account):
        raise ValidationError({"account_id": "No account with this id."})
    contract_type = ContractType.objects.filter(pk=payload.contract_type_id, is_active=True).first()
    if contract_type is None:
        raise ValidationError({"contract_type_id": "No contract type with this id."})
    template = None
    if payload.template_id is not None:
        template = ContractTemplate.objects.filter(
            pk=payload.template_id, contract_type=contract_type, is_active=True
        ).first()
        if template is None:
            raise ValidationError(
                {"template_id": "No template of this contract type with this id."}
            )
    if payload.kind == Kind.FORMAT and template is None:
        raise ValidationError({"template_id": "A format contract needs its template."})
    contract = services.contract_create(
        by=request.user,
        account=account,
        contract_type=contract_type,
        kind=payload.kind.value,
        template=template,
        elements=_elements(payload),
    )
    return Status(201, _read(contract.pk))


@router.get(
    "/approvals/inbox",
    response={200: list[ContractInboxOut], **ERRORS},
    summary="The approval steps waiting for your decision (the 100 oldest)",
)
def inbox(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, Contract)
    return [
        {
            "step_id": step.pk,
            "step": step.name,
            "contract_id": step.run.contract_id,
            "number": step.run.contract.number,
            "title": step.run.contract.title,
            "account": step.run.contract.account.name,
            "change_order_id": step.run.change_order_id,
            "amount_cny": step.run.amount_cny,
            "risk": step.run.risk,
            "waiting_since": step.run.started_at,
        }
        for step in approvals.inbox(request.user)
    ]


@router.post(
    "/approvals/steps/{int:step_id}/decisions",
    response={201: ContractDecisionOut, **ERRORS},
    summary="Approve, reject or return a step (403 not your step; 409 approving twice, your own "
    "contract, a step not open; 422 reject/return without a comment)",
)
def decide(request: HttpRequest, step_id: int, payload: ContractDecisionIn) -> Any:
    authorize(request.user, VIEW, Contract)
    step = ApprovalStep.objects.select_related("run").filter(pk=step_id).first()
    if step is None:
        return Status(404, {"code": "not_found", "message": "Not found.", "errors": []})
    access_object(request.user, Contract, step.run.contract_id)
    try:
        row = approvals.decide(
            step_id=step_id,
            by=request.user,
            decision=payload.decision.value,
            comment=payload.comment,
        )
    except approvals.ApprovalRefused as exc:
        return _refused(exc)
    return Status(201, row)


@router.get(
    "/verify",
    response={200: ContractVerifyOut, **ERRORS},
    summary="Check every approval trail's hash chain (administrators and auditors)",
)
def verify(request: HttpRequest) -> Any:
    from kehu.access.models import Role
    from kehu.access.permissions import is_admin, roles_of

    if not (is_admin(request.user) or Role.AUDITOR in roles_of(request.user)):
        return Status(
            403, {"code": "forbidden", "message": "You are not allowed to do this.", "errors": []}
        )
    contracts, decisions, problems = chain.verify()
    return {
        "contracts": contracts,
        "decisions": decisions,
        "problems": [
            f"{p.number} #{p.sequence if p.sequence is not None else '-'}: {p.message}"
            for p in problems
        ],
    }


@router.get("/types", response={200: list[ContractTypeOut], **ERRORS}, summary="Contract types")
def type_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, ContractType)
    return list(ContractType.objects.filter(is_active=True))


@router.get(
    "/{int:pk}",
    response={200: ContractOut, **ERRORS},
    summary="A contract with its elements, computed totals, risk findings and approval trail",
)
def contract_get(request: HttpRequest, pk: int) -> Any:
    return _out(_contract(request, pk))


@router.put(
    "/{int:pk}",
    response={200: ContractOut, **ERRORS},
    summary="Replace a draft's elements (409 on a stale version or when not a draft)",
)
def contract_update(request: HttpRequest, pk: int, payload: ContractUpdateIn) -> Any:
    contract = _contract(request, pk, CHANGE)
    try:
        services.contract_update(
            contract=contract, version=payload.version, elements=_elements(payload), by=request.user
        )
    except services.TransitionRefused as exc:
        return _refused(exc)
    return _read(pk)


@router.post(
    "/{int:pk}/transitions",
    response={200: ContractOut, **ERRORS},
    summary="Move a contract along its lifecycle (409 with the reason when not allowed now)",
)
def contract_transition(request: HttpRequest, pk: int, payload: ContractTransitionIn) -> Any:
    contract = _contract(request, pk, CHANGE)
    try:
        services.contract_transition(
            contract=contract,
            to=payload.to.value,
            by=request.user,
            version=payload.version,
            reason=payload.reason,
        )
    except services.TransitionRefused as exc:
        return _refused(exc)
    return _read(pk)


@router.post(
    "/{int:pk}/submit",
    response={200: ContractOut, **ERRORS},
    summary="Send a draft for approval: risk checks, then the policy's steps (409 not a draft; "
    "422 nobody to approve a step)",
)
def contract_submit(request: HttpRequest, pk: int, payload: ContractSubmitIn) -> Any:
    contract = _contract(request, pk, CHANGE)
    try:
        approvals.submit(contract=contract, by=request.user, version=payload.version)
    except services.TransitionRefused as exc:
        return _refused(exc)
    return _read(pk)


@router.get(
    "/{int:pk}/document.docx",
    response={200: None, **ERRORS},
    summary="The format contract as Word (.docx) (404 for a non-format contract; 422 template error)",
)
def contract_docx(request: HttpRequest, pk: int) -> Any:
    return _document(request, pk, "docx")


@router.get(
    "/{int:pk}/document.pdf",
    response={200: None, **ERRORS},
    summary="The format contract as PDF (404 for a non-format contract; 422 template error)",
)
def contract_pdf(request: HttpRequest, pk: int) -> Any:
    return _document(request, pk, "pdf")


def _document(request: HttpRequest, pk: int, kind: str) -> Any:
    contract = access_object(
        request.user,
        Contract,
        pk,
        queryset=Contract.objects.select_related("account", "template"),
    )
    if contract.template_id is None:
        return Status(404, {"code": "not_found", "message": "Not found.", "errors": []})
    data = documents.to_docx(contract) if kind == "docx" else documents.to_pdf(contract)
    response = HttpResponse(
        data,
        content_type="application/pdf"
        if kind == "pdf"
        else "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{contract.number}.{kind}"'
    return response


@router.get(
    "/{int:pk}/versions",
    response={200: list[ContractVersionOut], **ERRORS},
    summary="The contract's numbered versions with their elements",
)
def version_list(request: HttpRequest, pk: int) -> Any:
    contract = access_object(request.user, Contract, pk)
    return list(contract.versions.order_by("number"))


@router.get(
    "/{int:pk}/versions/compare",
    response={200: ContractComparisonOut, **ERRORS},
    summary="Two versions side by side: every element that differs (404 unknown version)",
)
def version_compare(request: HttpRequest, pk: int, pair: Query[ContractComparePair]) -> Any:
    contract = access_object(request.user, Contract, pk)
    comparison = selectors.compare_versions(contract, pair.left, pair.right)
    return {
        "left": pair.left,
        "right": pair.right,
        "differences": [d.__dict__ for d in comparison.rows],
    }


@router.get(
    "/{int:pk}/changes",
    response={200: list[ContractChangeOut], **ERRORS},
    summary="The contract's change orders",
)
def change_list(request: HttpRequest, pk: int) -> Any:
    contract = access_object(request.user, Contract, pk)
    return [_change_out(c) for c in contract.changes.select_related("contract").order_by("number")]


@router.post(
    "/{int:pk}/changes",
    response={201: ContractChangeOut, **ERRORS},
    summary="Propose a change order with the full new elements (409 wrong status or another "
    "open change order; 422 bad elements)",
)
def change_create(request: HttpRequest, pk: int, payload: ContractChangeIn) -> Any:
    contract = _contract(request, pk, CHANGE)
    try:
        change = changes.change_create(
            contract=contract,
            by=request.user,
            reason=payload.reason,
            elements=_elements(payload.elements),
        )
    except services.TransitionRefused as exc:
        return _refused(exc)
    return Status(201, _change_out(change))


@router.post(
    "/changes/{int:change_id}/submit",
    response={200: ContractChangeOut, **ERRORS},
    summary="Send a change order for approval by the contract type's rules (409 not a draft)",
)
def change_submit(request: HttpRequest, change_id: int, payload: ContractSubmitIn) -> Any:
    change = access_object(
        request.user,
        ChangeOrder,
        change_id,
        CHANGE,
        queryset=ChangeOrder.objects.select_related("contract"),
    )
    try:
        change = changes.change_submit(change=change, by=request.user, version=payload.version)
    except services.TransitionRefused as exc:
        return _refused(exc)
    return _change_out(ChangeOrder.objects.select_related("contract").get(pk=change.pk))


# --- library: templates, clauses, risk rules ------------------------------------------------------


@router.get(
    "/templates", response={200: list[ContractTemplateOut], **ERRORS}, summary="Contract templates"
)
def template_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, ContractTemplate)
    return list(ContractTemplate.objects.all())


@router.post(
    "/templates",
    response={201: ContractTemplateOut, **ERRORS},
    summary="Add a template (legal; 422 names unknown placeholders and clauses)",
)
def template_create(request: HttpRequest, payload: ContractTemplateIn) -> Any:
    authorize(request.user, ADD, ContractTemplate)
    if not ContractType.objects.filter(pk=payload.contract_type_id).exists():
        raise ValidationError({"contract_type_id": "No contract type with this id."})
    documents.validate_template(payload.body, payload.contract_type_id)
    template = ContractTemplate.objects.create(**payload.dict())
    return Status(201, template)


@router.get(
    "/clauses",
    response={200: list[ContractClauseOut], **ERRORS},
    summary="The clause library, every version (newest first per code)",
)
def clause_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, Clause)
    return list(Clause.objects.all()[:2000])


@router.post(
    "/clauses",
    response={201: ContractClauseOut, **ERRORS},
    summary="Add a clause, or a new version of an existing code (legal); old versions stay",
)
def clause_create(request: HttpRequest, payload: ContractClauseIn) -> Any:
    authorize(request.user, ADD, Clause)
    data = payload.dict()
    if (
        data["contract_type_id"]
        and not ContractType.objects.filter(pk=data["contract_type_id"]).exists()
    ):
        raise ValidationError({"contract_type_id": "No contract type with this id."})
    clause = services.clause_add(**data)
    return Status(201, clause)


@router.get(
    "/risk-rules", response={200: list[ContractRiskRuleOut], **ERRORS}, summary="Risk rules"
)
def risk_rule_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, RiskRule)
    return list(RiskRule.objects.all())


@router.patch(
    "/risk-rules/{int:pk}",
    response={200: ContractRiskRuleOut, **ERRORS},
    summary="Tune a risk rule (legal; 409 on a stale version; 422 bad parameter)",
)
def risk_rule_update(request: HttpRequest, pk: int, payload: ContractRiskRulePatch) -> Any:
    found = access_object(request.user, RiskRule, pk, CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return services.risk_rule_update(rule=found, version=version, changes=data)
