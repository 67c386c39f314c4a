"""REST endpoints of segments (/api/segments): rules (administrators), recomputation,
overrides and an account's segment facts and history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, WithJsonSchema

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize
from kehu.core.api import ERRORS
from kehu.customers.models import Account, Segment, SegmentChange
from kehu.segments import engine, selectors, services
from kehu.segments.models import SegmentRule
from kehu.segments.rules import can_override, can_view_facts, can_view_segments

router = Router(tags=["segments"])

SegmentRuleCompetitors = Annotated[
    SegmentRule.Competitors,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(SegmentRule.Competitors.values),
            "title": "SegmentRuleCompetitors",
        }
    ),
]
SegmentChangeSource = Annotated[
    SegmentChange.Source,
    WithJsonSchema(
        {
            "type": "string",
            "enum": list(SegmentChange.Source.values),
            "title": "SegmentChangeSource",
        }
    ),
]


class RuleOut(Schema):
    id: int
    name: str
    segment: Segment
    position: int
    is_active: bool
    min_tenure_months: int | None
    max_tenure_months: int | None
    min_share_of_wallet_percent: int | None
    max_share_of_wallet_percent: int | None = Field(None, description="Exclusive: share below")
    uses_competitors: SegmentRuleCompetitors
    min_active_days_90: int | None
    min_spend_365: Decimal | None
    max_spend_365: Decimal | None = Field(None, description="0: no purchases in 365 days")
    version: int
    created_at: datetime
    updated_at: datetime


class RuleIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    segment: Segment
    position: int = Field(100, ge=0, le=32767)
    is_active: bool = True
    min_tenure_months: int | None = Field(None, ge=0, le=2400)
    max_tenure_months: int | None = Field(None, ge=0, le=2400)
    min_share_of_wallet_percent: int | None = Field(None, ge=0, le=100)
    max_share_of_wallet_percent: int | None = Field(None, ge=0, le=100)
    uses_competitors: SegmentRuleCompetitors = SegmentRule.Competitors.ANY
    min_active_days_90: int | None = Field(None, ge=0, le=90)
    min_spend_365: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    max_spend_365: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)


class RulePatch(Schema):
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    segment: Segment | None = None
    position: int | None = Field(None, ge=0, le=32767)
    is_active: bool | None = None
    min_tenure_months: int | None = Field(None, ge=0, le=2400)
    max_tenure_months: int | None = Field(None, ge=0, le=2400)
    min_share_of_wallet_percent: int | None = Field(None, ge=0, le=100)
    max_share_of_wallet_percent: int | None = Field(None, ge=0, le=100)
    uses_competitors: SegmentRuleCompetitors | None = None
    min_active_days_90: int | None = Field(None, ge=0, le=90)
    min_spend_365: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)
    max_spend_365: Decimal | None = Field(None, ge=0, max_digits=16, decimal_places=2)


class RecomputeOut(Schema):
    accounts: int
    changed: int
    overridden: int
    unmatched: int


class FactsOut(Schema):
    tenure_months: int | None
    share_of_wallet_percent: Decimal | None
    uses_competitors: bool
    active_days_90: int
    spend_365: Decimal


class CheckOut(Schema):
    label: str
    holds: bool


class ChangeOut(Schema):
    id: int
    old_segment: str
    new_segment: str
    source: SegmentChangeSource
    rule_name: str
    reason: str
    changed_by_id: int | None
    changed_at: datetime


class AccountSegmentOut(Schema):
    account_id: int
    segment: str
    overridden: bool
    override_reason: str
    segment_changed_at: datetime | None
    version: int = Field(..., description="The account's version: send it to override")
    facts: FactsOut | None = Field(None, description="Only for readers of the dossier")
    rule_id: int | None = None
    rule_name: str = ""
    rule_segment: str = Field("", description="What the rules would say now")
    checks: list[CheckOut] = []
    history: list[ChangeOut]


class OverrideIn(Schema):
    version: int
    segment: Segment
    reason: str = Field(..., min_length=1, max_length=services.MAX_REASON)


class WithdrawIn(Schema):
    version: int


NON_NULL = ("name", "segment", "position", "is_active", "uses_competitors")


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {}
    for name, value in data.items():
        if name in NON_NULL and value is None:
            raise ValidationError({name: "This field cannot be empty."})
        fields[name] = getattr(value, "value", value)
    return fields


@router.get("/rules", response=list[RuleOut], summary="The segment rules in evaluation order")
def rule_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, SegmentRule)
    return list(SegmentRule.objects.all())


@router.post("/rules", response={201: RuleOut, **ERRORS}, summary="Add a segment rule")
def rule_create(request: HttpRequest, payload: RuleIn) -> Any:
    authorize(request.user, ADD, SegmentRule)
    return Status(201, services.rule_create(fields=_fields(payload.dict())))


@router.get("/rules/{int:pk}", response={200: RuleOut, **ERRORS}, summary="Read a segment rule")
def rule_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, SegmentRule, pk)


@router.patch(
    "/rules/{int:pk}",
    response={200: RuleOut, **ERRORS},
    summary="Change a segment rule (send the version you read; 409 if it moved on)",
)
def rule_update(request: HttpRequest, pk: int, payload: RulePatch) -> Any:
    rule = access_object(request.user, SegmentRule, pk, action=CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    return services.rule_update(rule=rule, expected_version=version, fields=_fields(data))


@router.delete("/rules/{int:pk}", response={204: None, **ERRORS}, summary="Remove a rule")
def rule_delete(request: HttpRequest, pk: int) -> Any:
    rule = access_object(request.user, SegmentRule, pk, action=DELETE)
    services.rule_delete(rule=rule)
    return Status(204, None)


@router.post(
    "/recompute",
    response={200: RecomputeOut, **ERRORS},
    summary="Recompute every account's segment now (overridden accounts keep theirs)",
)
def recompute(request: HttpRequest) -> Any:
    authorize(request.user, CHANGE, SegmentRule)
    return services.segments_recompute()


def _account_segment(request: HttpRequest, account: Account) -> dict[str, Any]:
    out: dict[str, Any] = {
        "account_id": account.pk,
        "segment": account.segment,
        "overridden": bool(account.segment_override_reason),
        "override_reason": account.segment_override_reason,
        "segment_changed_at": account.segment_changed_at,
        "version": account.version,
        "history": list(selectors.segment_history(account, limit=50)),
    }
    if can_view_facts(request.user, account):
        facts, decision = engine.explain(account)
        out["facts"] = facts
        out["rule_id"] = decision.rule.pk if decision.rule else None
        out["rule_name"] = decision.rule_name
        out["rule_segment"] = decision.segment
        out["checks"] = decision.checks
    return out


def _account(request: HttpRequest, pk: int, *, change: bool = False) -> Account:
    account = access_object(request.user, Account, pk)
    if not can_view_segments(request.user):
        raise PermissionDenied  # a customer's own account: its segment is not theirs to see
    if change and not can_override(request.user, account):
        raise PermissionDenied
    return account


@router.get(
    "/accounts/{int:pk}",
    response={200: AccountSegmentOut, **ERRORS},
    summary="An account's segment, the facts and rule behind it, and its history",
)
def account_segment(request: HttpRequest, pk: int) -> Any:
    return _account_segment(request, _account(request, pk))


@router.post(
    "/accounts/{int:pk}/override",
    response={200: AccountSegmentOut, **ERRORS},
    summary="Set the segment by hand with a reason (send the account's version; 409 if stale)",
)
def account_override(request: HttpRequest, pk: int, payload: OverrideIn) -> Any:
    account = _account(request, pk, change=True)
    updated = services.segment_override(
        account=account,
        segment=payload.segment.value,
        reason=payload.reason,
        expected_version=payload.version,
        by=request.user,
    )
    return _account_segment(request, updated)


@router.post(
    "/accounts/{int:pk}/withdraw",
    response={200: AccountSegmentOut, **ERRORS},
    summary="Withdraw the override: the rules decide again at once (409 if stale)",
)
def account_withdraw(request: HttpRequest, pk: int, payload: WithdrawIn) -> Any:
    account = _account(request, pk, change=True)
    updated = services.segment_withdraw_override(
        account=account, expected_version=payload.version, by=request.user
    )
    return _account_segment(request, updated)
