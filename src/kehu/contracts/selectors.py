"""Reading contracts: the list (filtered, searched), a contract's detail in a fixed number of
queries, and the comparison of two versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from kehu.access.permissions import VIEW, access_object
from kehu.contracts import elements as el
from kehu.contracts.models import (
    ApprovalAssignee,
    ApprovalDecision,
    ApprovalRun,
    ApprovalStep,
    Contract,
    ContractVersion,
    RiskFinding,
    StatusChange,
)
from kehu.contracts.rules import visible_contracts
from kehu.contracts.services import search_filter


def contract_list(
    user: Any,
    *,
    q: str = "",
    status: str = "",
    contract_type: int | None = None,
    account: int | None = None,
) -> QuerySet[Contract]:
    """Contracts ``user`` may see, newest first, narrowed by the filters; ``q`` searches number,
    title, account, terms, lines and uploaded text (Chinese without spaces too)."""
    contracts = visible_contracts(user)
    if status:
        contracts = contracts.filter(status=status)
    if contract_type:
        contracts = contracts.filter(contract_type_id=contract_type)
    if account:
        contracts = contracts.filter(account_id=account)
    if q.strip():
        found = search_filter(q)
        contracts = contracts.filter(found) if found is not None else contracts.none()
    return contracts.select_related("account", "contract_type", "owner").order_by("-pk")


def _runs() -> Prefetch[Any]:
    decisions = ApprovalDecision.objects.select_related("approver").order_by("sequence")
    assignees = ApprovalAssignee.objects.select_related("user", "stands_in_for").order_by("pk")
    steps = ApprovalStep.objects.order_by("position", "pk").prefetch_related(
        Prefetch("assignees", queryset=assignees), Prefetch("decisions", queryset=decisions)
    )
    return Prefetch(
        "approval_runs",
        queryset=ApprovalRun.objects.select_related("change_order")
        .order_by("-started_at", "-pk")
        .prefetch_related(Prefetch("steps", queryset=steps)),
    )


def detail_queryset() -> QuerySet[Contract]:
    return Contract.objects.select_related(
        "account", "contract_type", "owner", "created_by", "department", "template"
    ).prefetch_related(
        "lines",
        "milestones",
        Prefetch("findings", queryset=RiskFinding.objects.select_related("rule")),
        Prefetch(
            "status_changes",
            queryset=StatusChange.objects.select_related("by").order_by("at", "pk"),
        ),
        Prefetch(
            "versions",
            queryset=ContractVersion.objects.defer("elements").order_by("number"),
        ),
        "changes",
        _runs(),
    )


@dataclass
class Detail:
    contract: Contract
    totals: el.Totals
    line_amounts: list[tuple[Any, el.LineAmounts]]
    milestone_amounts: list[tuple[Any, Any]]
    runs: list[ApprovalRun] = field(default_factory=list)


def contract_detail(user: Any, pk: int) -> Detail:
    """One contract with everything its page shows, in a fixed number of queries."""
    contract = access_object(user, Contract, pk, VIEW, queryset=detail_queryset())
    lines = list(contract.lines.all())
    milestones = list(contract.milestones.all())
    data = {
        "lines": [{f: getattr(line, f) for f in el.LINE_FIELDS} for line in lines],
        "rebate_percent": contract.rebate_percent,
        "exchange_rate": contract.exchange_rate,
    }
    return Detail(
        contract=contract,
        totals=el.totals(data),
        line_amounts=[(line, el.line_amounts(line)) for line in lines],
        milestone_amounts=[
            (m, el.milestone_amount(contract.gross_total, m.percent)) for m in milestones
        ],
        runs=list(contract.approval_runs.all()),
    )


@dataclass(frozen=True)
class Comparison:
    left: ContractVersion
    right: ContractVersion
    rows: list[el.Difference]


def compare_versions(contract: Contract, left: int, right: int) -> Comparison:
    """Two numbered versions side by side: every element that differs."""
    versions = {v.number: v for v in contract.versions.filter(number__in=[left, right])}
    if left not in versions or right not in versions:
        raise Http404
    return Comparison(
        versions[left], versions[right], el.diff(versions[left].elements, versions[right].elements)
    )
