"""The insight part of the demo: last month's and last week's perception reports for the
company, the busiest department and a key account, twelve weeks of health-score history and
today's scores, and two subscriptions (the lead to the company's monthly report in Chinese, the
portal customer to their account's weekly report).

Repeatable: a report that exists is kept (it is the archive), history days are upserted.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from kehu.access.models import User
from kehu.customers.models import Account
from kehu.customers.rules import portal_account_id
from kehu.desk.models import Ticket
from kehu.insight import health_services, periods, reports
from kehu.insight.models import HealthRun, Period, Report, ScopeKind, Subscription

HISTORY_DAYS = (84, 70, 56, 42, 28, 21, 14, 7)


def build_insight_demo() -> dict[str, int]:
    today = timezone.localdate()
    made = 0
    for period in (Period.MONTH, Period.WEEK):
        start, _end = periods.last_complete(period, today)
        for kind, pk in _demo_scopes():
            _report, created = reports.generate_report(reports.scope_of(kind, pk), period, start)
            made += created
    for days in (*HISTORY_DAYS, 0):
        day = today - timedelta(days=days)
        health_services.recompute(day, alert=False)
        HealthRun.objects.update_or_create(
            day=day, defaults={"finished_at": timezone.now(), "accounts": Account.objects.count()}
        )
    _subscribe()
    return {"reports": Report.objects.count(), "new_reports": made}


def _demo_scopes() -> list[tuple[str, int | None]]:
    scopes: list[tuple[str, int | None]] = [(ScopeKind.COMPANY, None)]
    busiest = Ticket.objects.values("department_id").annotate(n=Count("id")).order_by("-n").first()
    if busiest:
        scopes.append((ScopeKind.DEPARTMENT, busiest["department_id"]))
    customer = User.objects.filter(username="customer").first()
    account_id = portal_account_id(customer) if customer else None
    if account_id is None:
        account_id = (
            Account.objects.filter(level__in=reports.KEY_LEVELS)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
    if account_id is not None:
        scopes.append((ScopeKind.ACCOUNT, account_id))
    return scopes


def _subscribe() -> None:
    lead = User.objects.filter(username="lead").first()
    if lead is not None:
        Subscription.objects.get_or_create(
            user=lead, scope_key="company", period=Period.MONTH, defaults={"language": "zh-hans"}
        )
    customer = User.objects.filter(username="customer").first()
    account_id = portal_account_id(customer) if customer else None
    if customer is not None and account_id is not None:
        Subscription.objects.get_or_create(
            user=customer,
            scope_key=f"account:{account_id}",
            period=Period.WEEK,
            defaults={"language": customer.language},
        )
