"""REST endpoints of insight (/api/insight): reports with their figures, subscriptions,
scorecards, the department matrix and health scores — the same rules as the pages (rules.py).

Statuses: 200/201/204 as documented per operation; 401 without credentials; 403 for a role
that may not use the operation at all; 404 for a report, account or subscription the caller may
not see; 409 for a stale ``version`` on the health settings; 422 for bad input.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import Field

from kehu.access.permissions import is_staff_member, roles_of
from kehu.core.api import ERRORS
from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier
from kehu.insight import health, health_services, presentation, reports, scorecards, selectors
from kehu.insight.models import AccountHealth, Period, Report, ScopeKind, Subscription
from kehu.insight.rules import (
    CUSTOMER,
    INTERNAL,
    edition_for,
    may_configure_health,
    reads_matrix,
    reads_scorecard,
)

router = Router(tags=["insight"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class InsightReportOut(Schema):
    id: int
    kind: ScopeKind
    period: Period
    period_start: date
    period_end: date
    scope_key: str
    name: str
    name_en: str
    edition: str
    generated_at: datetime
    pdf_url: str
    xlsx_url: str


class InsightReportDetailOut(InsightReportOut):
    summary: str
    figures: dict[str, Any]


class InsightSubscriptionIn(Schema):
    scope: Annotated[str, Field(max_length=40)]
    period: Period
    language: Literal["en", "zh-hans"]


class InsightSubscriptionOut(Schema):
    id: int
    scope: str
    period: Period
    language: str


class InsightSupplierOut(Schema):
    requests: int
    first_response_median: float | None
    first_response_p90: float | None
    resolution_median: float | None
    breached_pct: float | None
    ratings: int
    satisfaction: float | None


class InsightCustomerOut(Schema):
    requests: int
    clear_pct: float | None
    waiting_hours_median: float | None
    ratings_given: int
    average_given: float | None
    rated_pct: float | None


class InsightScorecardOut(Schema):
    department_id: int
    name: str
    name_en: str
    supplier: InsightSupplierOut
    customer: InsightCustomerOut


class InsightMatrixCellOut(Schema):
    supplier_id: int
    customer_id: int
    requests: int
    breached_pct: float | None
    satisfaction: float | None


class InsightMatrixOut(Schema):
    departments: dict[str, str]
    cells: list[InsightMatrixCellOut]


class InsightHealthOut(Schema):
    account_id: int
    name: str
    score: int
    previous_score: int | None
    change: int
    computed_on: date


class InsightFactorOut(Schema):
    key: str
    label: str
    score: float | None
    weight: int
    contribution: float
    detail: dict[str, Any]


class InsightHistoryOut(Schema):
    day: date
    score: int


class InsightHealthDetailOut(InsightHealthOut):
    factors: list[InsightFactorOut]
    history: list[InsightHistoryOut]


class InsightHealthSettingsOut(Schema):
    weights: dict[str, int]
    thresholds: list[int]
    version: int


class InsightHealthSettingsIn(Schema):
    weights: dict[str, Annotated[int, Field(ge=0, le=100)]]
    thresholds: Annotated[list[Annotated[int, Field(ge=1, le=100)]], Field(max_length=10)]
    version: Annotated[int, Field(ge=1, le=2**31)]


def _report_out(request: HttpRequest, report: Report, edition: str) -> dict[str, Any]:
    base = f"/insight/reports/{report.pk}/"
    scope = report.figures.get("scope", {})
    return {
        "id": report.pk,
        "kind": report.kind,
        "period": report.period,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "scope_key": report.scope_key,
        "name": scope.get("name", ""),
        "name_en": scope.get("name_en", ""),
        "edition": edition,
        "generated_at": report.generated_at,
        "pdf_url": request.build_absolute_uri(base + "pdf/"),
        "xlsx_url": request.build_absolute_uri(base + "xlsx/"),
    }


@router.get(
    "/reports",
    response={200: list[InsightReportOut], **ERRORS},
    summary="The perception reports the caller may read, newest first (at most 500)",
)
def report_list(
    request: HttpRequest, period: Period | None = None, kind: ScopeKind | None = None
) -> Any:
    if not roles_of(request.user):
        raise PermissionDenied
    found = selectors.readable_reports(request.user, period=period or "", kind=kind or "")[:500]
    edition = INTERNAL if is_staff_member(request.user) else CUSTOMER
    return [_report_out(request, r, edition) for r in found]


@router.get(
    "/reports/{int:report_id}",
    response={200: InsightReportDetailOut, **ERRORS},
    summary="One report with all its figures (customers get the customer edition; 404 if not yours)",
)
def report_get(request: HttpRequest, report_id: int) -> Any:
    report = Report.objects.filter(pk=report_id).first()
    edition = edition_for(request.user, report.scope_key) if report else None
    if report is None or edition is None:
        raise Http404
    return {
        **_report_out(request, report, edition),
        "summary": presentation.summary(report.figures),
        "figures": presentation.edition_figures(report.figures, edition),
    }


@router.get(
    "/subscriptions",
    response={200: list[InsightSubscriptionOut], **ERRORS},
    summary="The caller's report subscriptions",
)
def subscription_list(request: HttpRequest) -> Any:
    if not roles_of(request.user):
        raise PermissionDenied
    return [_subscription_out(s) for s in Subscription.objects.filter(user_id=request.user.pk or 0)]


def _subscription_out(s: Subscription) -> dict[str, Any]:
    return {"id": s.pk, "scope": s.scope_key, "period": s.period, "language": s.language}


@router.post(
    "/subscriptions",
    response={201: InsightSubscriptionOut, **ERRORS},
    summary="Subscribe to a scope's weekly or monthly report (422: unknown scope or one you may "
    "not read); subscribing again changes the language",
)
def subscription_create(request: HttpRequest, payload: InsightSubscriptionIn) -> Any:
    found = reports.subscribe(
        user=request.user, key=payload.scope, period=payload.period, language=payload.language
    )
    return 201, _subscription_out(found)


@router.delete(
    "/subscriptions/{int:subscription_id}",
    response={204: None, **ERRORS},
    summary="Unsubscribe (404: not your subscription)",
)
def subscription_delete(request: HttpRequest, subscription_id: int) -> Any:
    deleted, _rows = Subscription.objects.filter(
        pk=subscription_id, user_id=request.user.pk or 0
    ).delete()
    if not deleted:
        raise Http404
    return 204, None


def _window(days: int) -> tuple[date, date]:
    from datetime import timedelta

    end = timezone.localdate() + timedelta(days=1)
    return end - timedelta(days=days), end


@router.get(
    "/scorecards",
    response={200: list[InsightScorecardOut], **ERRORS},
    summary="Each department's internal service scorecard the caller may see, as supplier and "
    "customer (business minutes; percentages 0–100)",
)
def scorecard_list(request: HttpRequest, days: Annotated[int, Field(ge=1, le=366)] = 90) -> Any:
    if not is_staff_member(request.user):
        raise PermissionDenied
    start, end = _window(days)
    cards = [
        c
        for c in scorecards.scorecards(start, end)
        if reads_scorecard(request.user, c.department.pk)
    ]
    return [
        {
            "department_id": c.department.pk,
            "name": c.department.name,
            "name_en": c.department.name_en,
            "supplier": c.supplier.__dict__,
            "customer": c.customer.__dict__,
        }
        for c in cards
    ]


@router.get(
    "/scorecards/matrix",
    response={200: InsightMatrixOut, **ERRORS},
    summary="Supplier × customer department matrix (leads, administrators, auditors; 403 others)",
)
def scorecard_matrix(request: HttpRequest, days: Annotated[int, Field(ge=1, le=366)] = 90) -> Any:
    if not reads_matrix(request.user):
        raise PermissionDenied
    found = scorecards.matrix(*_window(days))
    names = {str(d.pk): d.name for d in [*found.suppliers, *found.customers]}
    return {
        "departments": names,
        "cells": [
            {"supplier_id": s, "customer_id": c, **cell}
            for (s, c), cell in sorted(found.cells.items())
        ],
    }


def _health_out(h: AccountHealth) -> dict[str, Any]:
    return {
        "account_id": h.account_id,
        "name": h.account.name,
        "score": h.score,
        "previous_score": h.previous_score,
        "change": h.change,
        "computed_on": h.computed_on,
    }


@router.get(
    "/health",
    response={200: list[InsightHealthOut], **ERRORS},
    summary="Health scores of the accounts whose dossier the caller reads, lowest score (or "
    "biggest 30-day drop) first",
)
def health_list(
    request: HttpRequest,
    order: Literal["score", "change"] = "score",
    limit: Annotated[int, Field(ge=1, le=1000)] = 100,
    offset: Annotated[int, Field(ge=0, le=10**9)] = 0,
) -> Any:
    if not is_staff_member(request.user):
        raise PermissionDenied
    rows = selectors.health_rows(request.user, order=order)[offset : offset + limit]
    return [_health_out(h) for h in rows]


@router.get(
    "/health/accounts/{int:account_id}",
    response={200: InsightHealthDetailOut, **ERRORS},
    summary="An account's health score with each factor's contribution and its history "
    "(404: not scored yet, or not an account whose dossier you read)",
)
def health_get(request: HttpRequest, account_id: int) -> Any:
    account = Account.objects.filter(pk=account_id).first()
    if (
        account is None
        or not is_staff_member(request.user)
        or not can_view_dossier(request.user, account)
    ):
        raise Http404
    current = AccountHealth.objects.filter(account=account).select_related("account").first()
    if current is None:
        raise Http404
    factors = [
        {**{k: v for k, v in row.items() if k != "explanation"}, "label": str(row["label"])}
        for row in selectors.factor_rows(current)
    ]
    return {
        **_health_out(current),
        "factors": factors,
        "history": [{"day": h.day, "score": h.score} for h in selectors.health_history(account)],
    }


@router.get(
    "/health/settings",
    response={200: InsightHealthSettingsOut, **ERRORS},
    summary="The health score's factor weights and alert thresholds (administrators)",
)
def health_settings_get(request: HttpRequest) -> Any:
    if not may_configure_health(request.user):
        raise PermissionDenied
    row = health_services.settings_row()
    return {
        "weights": health_services.weights_of(row),
        "thresholds": row.thresholds,
        "version": row.version,
    }


@router.put(
    "/health/settings",
    response={200: InsightHealthSettingsOut, **ERRORS},
    summary="Change weights and thresholds (administrators; 409 on a stale version; 422 for an "
    "unknown factor); they apply from the next recomputation",
)
def health_settings_put(request: HttpRequest, payload: InsightHealthSettingsIn) -> Any:
    if not may_configure_health(request.user):
        raise PermissionDenied
    from django.core.exceptions import ValidationError

    unknown = sorted(set(payload.weights) - set(health.FACTORS))
    if unknown:
        raise ValidationError(
            {"weights": _("Unknown factors: %(list)s") % {"list": ", ".join(unknown)}}
        )
    row = health_services.settings_update(
        weights=payload.weights, thresholds=payload.thresholds, expected_version=payload.version
    )
    return {
        "weights": health_services.weights_of(row),
        "thresholds": row.thresholds,
        "version": row.version,
    }
