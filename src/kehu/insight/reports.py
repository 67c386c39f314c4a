"""Generating perception reports, subscribing to them and delivering them by email.

``generate_period`` makes every scope's report for one period (idempotent: a report that exists
is kept as it was, so the archive never changes behind its readers), then writes one delivery
per subscriber. ``send_due`` sends deliveries that are due; each is claimed by a conditional
UPDATE, so two workers never send one twice, and a failure waits longer each time (like the
mail app's outbound mail). A reader without an email address gets a delivery marked so, and
the report stays in the archive for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Account, AccountLevel
from kehu.desk.models import Ticket
from kehu.insight import figures, periods
from kehu.insight.models import (
    DeliveryState,
    Period,
    Report,
    ReportDelivery,
    ReportRun,
    ScopeKind,
    Subscription,
)
from kehu.insight.scopes import parse_scope_key, scope_key
from kehu.org.models import Department

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
KEY_LEVELS = (AccountLevel.STRATEGIC, AccountLevel.KEY)


def _ancestors(parents: Mapping[int, int | None], pk: int) -> list[int]:
    found = []
    current: int | None = pk
    while current is not None and current not in found:
        found.append(current)
        current = parents.get(current)
    return found


def _subtree(parents: Mapping[int, int | None], root: int) -> frozenset[int]:
    return frozenset(pk for pk in parents if root in _ancestors(parents, pk))


def scopes_for(start: date, end: date) -> list[figures.Scope]:
    """The company; each department with tickets in the period (in its subtree); each supplier
    department with internal requests in it; each active key or strategic account."""
    departments = {d.pk: d for d in Department.objects.filter(is_active=True)}
    parents = {pk: d.parent_id for pk, d in departments.items()}
    found = [figures.Scope(ScopeKind.COMPANY, name="公司", name_en="Company")]
    window = Ticket.objects.filter(
        created_at__gte=periods.instant(start), created_at__lt=periods.instant(end)
    )
    rows = window.values("department_id").annotate(
        n=Count("id"), internal=Count("id", filter=Q(requester_employee__isnull=False))
    )
    busy: set[int] = set()
    suppliers: set[int] = set()
    for row in rows:
        for pk in _ancestors(parents, row["department_id"]):
            busy.add(pk)
            if row["internal"]:
                suppliers.add(pk)
    for pk in sorted(busy):
        if pk in departments:
            d = departments[pk]
            found.append(
                figures.Scope(
                    ScopeKind.DEPARTMENT, _subtree(parents, pk), name=d.name, name_en=d.name_en
                )
            )
    for pk in sorted(suppliers):
        if pk in departments:
            d = departments[pk]
            found.append(
                figures.Scope(
                    ScopeKind.SUPPLIER, _subtree(parents, pk), name=d.name, name_en=d.name_en
                )
            )
    for account in Account.objects.filter(is_active=True, level__in=KEY_LEVELS).order_by("pk"):
        found.append(
            figures.Scope(
                ScopeKind.ACCOUNT,
                account_id=account.pk,
                name=account.name,
                name_en=account.name_en,
            )
        )
    return found


def scope_of(kind: str, pk: int | None) -> figures.Scope:
    """The scope of one report (for generating a single report on demand)."""
    if kind == ScopeKind.COMPANY:
        return figures.Scope(ScopeKind.COMPANY, name="公司", name_en="Company")
    if kind == ScopeKind.ACCOUNT:
        account = Account.objects.get(pk=pk or 0)
        return figures.Scope(kind, account_id=pk, name=account.name, name_en=account.name_en)
    parents: dict[int, int | None] = dict(Department.objects.values_list("pk", "parent_id"))
    department = Department.objects.get(pk=pk or 0)
    return figures.Scope(
        kind, _subtree(parents, department.pk), name=department.name, name_en=department.name_en
    )


def _pk_of(scope: figures.Scope) -> int | None:
    if scope.kind == ScopeKind.ACCOUNT:
        return scope.account_id
    if scope.kind == ScopeKind.COMPANY:
        return None
    # the scope's root: the department whose subtree it is (the one without a parent inside)
    parents = dict(
        Department.objects.filter(pk__in=scope.department_ids).values_list("pk", "parent_id")
    )
    roots = [pk for pk, parent in parents.items() if parent not in scope.department_ids]
    return roots[0] if roots else None


def generate_report(scope: figures.Scope, period: str, start: date) -> tuple[Report, bool]:
    """The scope's report for the period starting on ``start``: made now, or the stored one."""
    first, end = periods.bounds(period, start)
    pk = _pk_of(scope)
    key = scope_key(scope.kind, pk)
    existing = Report.objects.filter(scope_key=key, period=period, period_start=first).first()
    if existing is not None:
        return existing, False
    data = figures.compute(scope, period, first, end)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                kind=scope.kind,
                period=period,
                period_start=first,
                period_end=end,
                department_id=pk
                if scope.kind in (ScopeKind.DEPARTMENT, ScopeKind.SUPPLIER)
                else None,
                account_id=pk if scope.kind == ScopeKind.ACCOUNT else None,
                scope_key=key,
                figures=data,
            )
    except IntegrityError:  # another worker made it meanwhile: theirs is the report
        return Report.objects.get(scope_key=key, period=period, period_start=first), False
    _queue_deliveries([report])
    return report, True


def generate_period(period: str, start: date) -> list[Report]:
    """Every scope's report of the period (those already made are kept)."""
    first, end = periods.bounds(period, start)
    return [generate_report(scope, period, first)[0] for scope in scopes_for(first, end)]


def _queue_deliveries(reports: Iterable[Report]) -> list[ReportDelivery]:
    """One delivery per subscriber of each report (a second call adds nothing)."""
    from kehu.insight.rules import can_read_scope

    made = []
    for report in reports:
        subscriptions = Subscription.objects.filter(
            scope_key=report.scope_key, period=report.period
        ).select_related("user")
        now = timezone.now()
        for subscription in subscriptions:
            user = subscription.user
            if not user.is_active or not can_read_scope(user, report.scope_key):
                continue
            address = (user.email or "").strip()
            made.append(
                ReportDelivery(
                    report=report,
                    user=user,
                    address=address,
                    language=subscription.language,
                    state=DeliveryState.PENDING if address else DeliveryState.NO_ADDRESS,
                    next_attempt_at=now if address else None,
                    last_error="" if address else "no email address",
                )
            )
    ReportDelivery.objects.bulk_create(made, ignore_conflicts=True)
    return made


def run_due(today: date | None = None) -> int:
    """Make the reports of the last complete week and month once (one cheap query each when
    they exist), then send what is due. Returns the number of reports made."""
    today = today or timezone.localdate()
    made = 0
    for period in (Period.WEEK, Period.MONTH):
        start, _end = periods.last_complete(period, today)
        if ReportRun.objects.filter(period=period, period_start=start).exists():
            continue
        try:
            with transaction.atomic():
                run = ReportRun.objects.create(period=period, period_start=start)
        except IntegrityError:
            continue  # another scheduler claimed it
        reports = generate_period(period, start)
        ReportRun.objects.filter(pk=run.pk).update(finished_at=timezone.now(), reports=len(reports))
        made += len(reports)
    send_due()
    return made


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=5 * 2 ** max(0, attempts - 1))


def _claim(pk: int, now: datetime) -> bool:
    """Take a due delivery for this worker: push its next attempt out, checking nobody else did."""
    return (
        ReportDelivery.objects.filter(
            pk=pk, state=DeliveryState.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + timedelta(minutes=15))
        == 1
    )


def send_one(
    delivery: ReportDelivery, *, now: datetime, cache: dict[Any, Any] | None = None
) -> bool:
    """Send a claimed delivery; True when the mail went out."""
    from kehu.insight import mailing
    from kehu.mail.models import BouncedAddress

    delivery.attempts += 1
    if BouncedAddress.objects.filter(address__iexact=delivery.address).exists():
        delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        delivery.last_error = f"{delivery.address} bounced earlier; not sent"
        delivery.save(update_fields=["attempts", "state", "next_attempt_at", "last_error"])
        return False
    try:
        mailing.build(delivery, cache=cache).send()
    except Exception as error:  # any SMTP or network failure: try again later
        log.warning("report delivery %s failed: %s", delivery.pk, error)
        delivery.last_error = str(error)[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.state, delivery.next_attempt_at = DeliveryState.FAILED, None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save(update_fields=["attempts", "state", "next_attempt_at", "last_error"])
        return False
    delivery.state, delivery.sent_at, delivery.next_attempt_at = DeliveryState.SENT, now, None
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "state", "sent_at", "next_attempt_at", "last_error"])
    return True


def send_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send the deliveries that are due (new ones and retries); how many went out."""
    now = now or timezone.now()
    due = list(
        ReportDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    cache: dict[Any, Any] = {}  # one rendering per report and language for the whole batch
    for pk in due:
        if not _claim(pk, now):
            continue
        delivery = ReportDelivery.objects.select_related("report", "user").get(pk=pk)
        sent += send_one(delivery, now=now, cache=cache)
    return sent


def subscribe(*, user: Any, key: str, period: str, language: str) -> Subscription:
    """Subscribe ``user`` to a scope's reports (or change the language of the subscription)."""
    from kehu.insight.rules import can_read_scope

    parse_scope_key(key)
    if period not in Period.values:
        raise ValidationError({"period": _("Choose weekly or monthly.")})
    if language not in dict(_languages()):
        raise ValidationError({"language": _("Choose a language Kehu speaks.")})
    if not can_read_scope(user, key):
        raise ValidationError({"scope": _("You may not read these reports.")})
    subscription, _created = Subscription.objects.update_or_create(
        user=user, scope_key=key, period=period, defaults={"language": language}
    )
    return subscription


def _languages() -> list[tuple[str, str]]:
    from django.conf import settings

    return [(code, str(name)) for code, name in settings.LANGUAGES]
