"""Reads for the insight pages and API: what a reader may see, as rows and chart data."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.access.models import Role
from kehu.access.permissions import is_staff_member, led_departments, roles_of
from kehu.customers.models import Account
from kehu.customers.rules import dossier_accounts, portal_account_id
from kehu.insight import health
from kehu.insight.models import AccountHealth, HealthHistory, Report, ScopeKind
from kehu.insight.presentation import Chart, _name, minutes, number, percent
from kehu.insight.reports import KEY_LEVELS
from kehu.insight.rules import reads_company
from kehu.insight.scopes import parse_scope_key, scope_key
from kehu.insight.scorecards import Card, Matrix
from kehu.org.models import Department

BROAD = {Role.ADMIN, Role.AUDITOR}


def readable_reports(user: Any, *, period: str = "", kind: str = "") -> QuerySet[Report]:
    """The reports the user may open, newest first (one query)."""
    found = Report.objects.all()
    if period:
        found = found.filter(period=period)
    if kind:
        found = found.filter(kind=kind)
    if not is_staff_member(user):
        account_id = portal_account_id(user)
        return (
            found.filter(kind=ScopeKind.ACCOUNT, account_id=account_id)
            if account_id
            else found.none()
        )
    if roles_of(user) & BROAD:
        return found.order_by("-period_start", "kind", "scope_key")
    allowed = Q(kind=ScopeKind.ACCOUNT, account__in=dossier_accounts(user))
    if reads_company(user):
        allowed |= Q(kind=ScopeKind.COMPANY)
    led = led_departments(user)
    if led:
        from kehu.org.selectors import department_descendant_ids

        allowed |= Q(
            kind__in=[ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER],
            department_id__in=department_descendant_ids(led),
        )
    return found.filter(allowed).order_by("-period_start", "kind", "scope_key")


def scope_label(key: str) -> str:
    kind, pk = parse_scope_key(key)
    if kind == ScopeKind.COMPANY:
        return str(ScopeKind.COMPANY.label)
    if kind == ScopeKind.ACCOUNT:
        account = Account.objects.filter(pk=pk or 0).first()
        name = _name(account.name, account.name_en) if account else f"#{pk}"
    else:
        department = Department.objects.filter(pk=pk or 0).first()
        name = _name(department.name, department.name_en) if department else f"#{pk}"
    return f"{ScopeKind(kind).label} · {name}"


def subscribable_scopes(user: Any) -> list[tuple[str, str]]:
    """(scope key, label) of every scope whose reports the user may read."""
    found: list[tuple[str, str]] = []
    if not is_staff_member(user):
        account_id = portal_account_id(user)
        if account_id:
            found.append(
                (
                    scope_key(ScopeKind.ACCOUNT, account_id),
                    scope_label(scope_key(ScopeKind.ACCOUNT, account_id)),
                )
            )
        return found
    broad = bool(roles_of(user) & BROAD)
    if reads_company(user):
        found.append((ScopeKind.COMPANY.value, str(ScopeKind.COMPANY.label)))
    departments = Department.objects.filter(is_active=True).order_by("name_pinyin")
    if not broad:
        from kehu.org.selectors import department_descendant_ids

        departments = departments.filter(pk__in=department_descendant_ids(led_departments(user)))
    for d in departments:
        for kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER):
            found.append((scope_key(kind, d.pk), f"{kind.label} · {_name(d.name, d.name_en)}"))
    accounts = (
        dossier_accounts(user).filter(is_active=True, level__in=KEY_LEVELS).order_by("name_pinyin")
    )
    for a in accounts[:500]:
        found.append(
            (
                scope_key(ScopeKind.ACCOUNT, a.pk),
                f"{ScopeKind.ACCOUNT.label} · {_name(a.name, a.name_en)}",
            )
        )
    return found


def scorecard_table(cards: list[Card]) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Department"),
        _("Requests received"),
        _("Median first response"),
        _("90th percentile first response"),
        _("Median resolution"),
        _("SLA breached"),
        _("Satisfaction (1–5)"),
        _("Requests raised"),
        _("Clear requests"),
        _("Median hours kept waiting"),
        _("Ratings given"),
        _("Average rating given"),
        _("Resolved requests rated"),
    ]
    rows = [
        [
            _name(c.department.name, c.department.name_en),
            c.supplier.requests,
            minutes(c.supplier.first_response_median),
            minutes(c.supplier.first_response_p90),
            minutes(c.supplier.resolution_median),
            percent(c.supplier.breached_pct),
            number(c.supplier.satisfaction),
            c.customer.requests,
            percent(c.customer.clear_pct),
            number(c.customer.waiting_hours_median),
            c.customer.ratings_given,
            number(c.customer.average_given),
            percent(c.customer.rated_pct),
        ]
        for c in cards
    ]
    return header, rows


def scorecard_chart(cards: list[Card], days: int) -> Chart:
    shown = [c for c in cards if c.supplier.requests]
    return Chart(
        [_name(c.department.name, c.department.name_en) for c in shown],
        [float(c.supplier.requests) for c in shown],
        [reverse("insight:scorecards") + f"?days={days}#dept-{c.department.pk}" for c in shown],
        horizontal=True,
    )


def matrix_table(found: Matrix) -> tuple[list[str], list[list[Any]]]:
    header = [_("Supplier \\ customer")] + [_name(d.name, d.name_en) for d in found.customers]
    rows = []
    for supplier in found.suppliers:
        row: list[Any] = [_name(supplier.name, supplier.name_en)]
        for customer in found.customers:
            cell = found.cells.get((supplier.pk, customer.pk))
            if cell is None:
                row.append("")
                continue
            text = _("%(n)s requests") % {"n": cell["requests"]}
            if cell["satisfaction"] is not None:
                text += " · ★" + str(cell["satisfaction"])
            if cell["breached_pct"]:
                text += " · " + _("%(pct)s breached") % {"pct": percent(cell["breached_pct"])}
            row.append(text)
        rows.append(row)
    return header, rows


def health_rows(user: Any, *, order: str = "score") -> list[AccountHealth]:
    """Latest scores of the accounts whose dossier the user reads, lowest (or most fallen) first."""
    found = AccountHealth.objects.filter(account__in=dossier_accounts(user)).select_related(
        "account"
    )
    ordering = ["change", "score"] if order == "change" else ["score", "change"]
    return list(found.order_by(*ordering, "account__name_pinyin"))


BANDS = [(0, 20), (20, 40), (40, 60), (60, 80), (80, 101)]


def health_distribution(rows: list[AccountHealth]) -> Chart:
    counts = [sum(1 for h in rows if low <= h.score < high) for low, high in BANDS]
    labels = [f"{low}–{min(high, 100)}" for low, high in BANDS]
    url = reverse("insight:health")
    return Chart(
        labels if rows else [],
        [float(n) for n in counts] if rows else [],
        [f"{url}?order=score#band-{low}" for low, _h in BANDS],
    )


def factor_rows(current: AccountHealth | None) -> list[dict[str, Any]]:
    if current is None:
        return []
    found = []
    for key, factor in health.FACTORS.items():
        data = current.factors.get(key, {})
        found.append(
            {
                "key": key,
                "label": factor.label,
                "explanation": factor.explanation,
                "score": data.get("score"),
                "weight": data.get("weight", 0),
                "contribution": data.get("contribution", 0),
                "detail": data.get("detail", {}),
            }
        )
    return found


def health_history(account: Account) -> list[HealthHistory]:
    return list(HealthHistory.objects.filter(account=account).order_by("day")[:400])
