"""Reads of churn reviews: lists, the review page, the account panel and the churn report.

The report is aggregated in the database (GROUP BY), one query per breakdown, so it costs the
same for ten reviews or ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth, TruncQuarter, TruncYear
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kehu.churn.models import (
    ACTIVE_STATUSES,
    Attribution,
    ChurnFollowUp,
    ChurnReview,
    ChurnStatusChange,
    ReviewKind,
)
from kehu.churn.rules import report_department_scope
from kehu.customers.models import Account
from kehu.customers.rules import dossier_accounts
from kehu.desk.models import Ticket
from kehu.incidents.models import MajorIncident
from kehu.incidents.selectors import incidents_for_account
from kehu.org.models import Employee


@dataclass
class ReviewFilters:
    q: str = ""
    status: str = ""  # "", "active" or one ReviewStatus
    kind: str = ""
    attribution: str = ""  # "", "none" (not yet attributed) or one Attribution
    owner_id: int | None = None
    department_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    account_id: int | None = None


ACTIVE = "active"
UNATTRIBUTED = "none"


def reviews() -> QuerySet[ChurnReview]:
    """Reviews with the account, the snapshotted owner and department, and open follow-ups."""
    return ChurnReview.objects.select_related("account", "owner_at_review", "department").annotate(
        open_follow_ups=Count("follow_ups", filter=Q(follow_ups__done_at__isnull=True)),
    )


def review_list(user: Any, filters: ReviewFilters) -> QuerySet[ChurnReview]:
    """The reviews of accounts whose dossier ``user`` reads, matching ``filters``."""
    found = reviews().filter(account__in=dossier_accounts(user).values("pk"))
    q = filters.q.strip()
    if q:
        number = q.upper().removeprefix("CR-")
        match = (
            Q(account__name__icontains=q)
            | Q(account__name_en__icontains=q)
            | Q(account__name_pinyin__icontains=q.lower().replace(" ", ""))
            | Q(competitor__icontains=q)
        )
        if number.isdigit() and len(number) < 12:
            match |= Q(pk=int(number))
        found = found.filter(match)
    if filters.status == ACTIVE:
        found = found.filter(status__in=ACTIVE_STATUSES)
    elif filters.status:
        found = found.filter(status=filters.status)
    if filters.kind:
        found = found.filter(kind=filters.kind)
    if filters.attribution == UNATTRIBUTED:
        found = found.filter(attribution="")
    elif filters.attribution:
        found = found.filter(attribution=filters.attribution)
    if filters.owner_id is not None:
        found = found.filter(owner_at_review_id=filters.owner_id)
    if filters.department_id is not None:
        found = found.filter(department_id=filters.department_id)
    if filters.date_from is not None:
        found = found.filter(noticed_on__gte=filters.date_from)
    if filters.date_to is not None:
        found = found.filter(noticed_on__lte=filters.date_to)
    if filters.account_id is not None:
        found = found.filter(account_id=filters.account_id)
    return found


def review_detail() -> QuerySet[ChurnReview]:
    """Reviews with everything the review page shows prefetched."""
    return reviews().prefetch_related(
        Prefetch("attendees", queryset=Employee.objects.select_related("department")),
        Prefetch(
            "tickets",
            queryset=Ticket.objects.select_related("department").order_by("pk"),
        ),
        Prefetch("incidents", queryset=MajorIncident.objects.order_by("-declared_at", "-id")),
        Prefetch("follow_ups", queryset=ChurnFollowUp.objects.select_related("owner")),
        Prefetch("status_changes", queryset=ChurnStatusChange.objects.select_related("by")),
    )


def linkable_tickets(account: Account) -> QuerySet[Ticket]:
    """The account's tickets a review may link to, newest first."""
    return Ticket.objects.filter(account=account, merged_into__isnull=True).order_by("-pk")


def linkable_incidents(account: Account) -> QuerySet[MajorIncident]:
    """The major incidents that affected the account."""
    return incidents_for_account(account)


def account_panel(account: Account) -> tuple[ChurnReview | None, int]:
    """The account's review in progress, else its latest one; and how many it has had."""
    # An account has a handful of reviews at most: one query, chosen in Python.
    found = list(
        ChurnReview.objects.filter(account=account)
        .select_related("owner_at_review")
        .order_by("-noticed_on", "-id")
    )
    if not found:
        return None, 0
    active = next((r for r in found if r.is_active), None)
    return active or found[0], len(found)


# --- the report --------------------------------------------------------------------------------

PERIODS = {"month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear}
LOST_AMOUNT = Sum(
    Coalesce(F("revenue_before"), Value(Decimal(0)))
    - Coalesce(F("revenue_after"), Value(Decimal(0))),
    output_field=DecimalField(max_digits=18, decimal_places=2),
)


@dataclass
class ReportRow:
    group_key: Any
    group: str  # as the page shows it (the English name in English, if there is one)
    period: str
    currency: str
    reviews: int
    lost: int
    shrinking: int
    revenue_lost: Decimal
    name: str = ""  # people and departments: the name in the working language (Chinese)
    name_en: str = ""


@dataclass
class Report:
    period: str
    date_from: date | None
    date_to: date | None
    by_class: list[ReportRow] = field(default_factory=list)
    by_owner: list[ReportRow] = field(default_factory=list)
    by_department: list[ReportRow] = field(default_factory=list)

    @property
    def total_reviews(self) -> int:
        return sum(r.reviews for r in self.by_class)


def _period_label(day: Any, period: str) -> str:
    if day is None:
        return ""
    if period == "year":
        return f"{day.year}"
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def _name(name: str | None, name_en: str | None, missing: str) -> str:
    if not name:
        return missing
    if name_en and not (get_language() or "en").startswith("zh"):
        return name_en
    return name


def _cents(amount: Decimal | None) -> Decimal:
    # SQLite sums decimals without their scale; PostgreSQL keeps it. Show both alike.
    return (amount or Decimal(0)).quantize(Decimal("0.01"))


def _counted(rows: QuerySet[ChurnReview], *keys: str) -> Any:
    return (
        rows.values(*keys)
        .annotate(
            n=Count("pk"),
            n_lost=Count("pk", filter=Q(kind=ReviewKind.LOST)),
            n_shrinking=Count("pk", filter=Q(kind=ReviewKind.SHRINKING)),
            amount=LOST_AMOUNT,
        )
        .order_by(*keys)
    )


def report_reviews(user: Any, date_from: date | None, date_to: date | None) -> Any:
    """The reviews the user's report covers: every one for broad readers, those of their
    departments (as snapshotted at the review) for department leads."""
    rows = ChurnReview.objects.all()
    scope = report_department_scope(user)
    if scope is not None:
        rows = rows.filter(department_id__in=scope)
    if date_from is not None:
        rows = rows.filter(noticed_on__gte=date_from)
    if date_to is not None:
        rows = rows.filter(noticed_on__lte=date_to)
    return rows


def churn_report(
    user: Any, *, period: str = "month", date_from: date | None = None, date_to: date | None = None
) -> Report:
    """Churn counts and yearly revenue lost by class × period, by owner at the review and by
    department at the review (three grouped queries)."""
    if period not in PERIODS:
        period = "month"
    rows = report_reviews(user, date_from, date_to)
    report = Report(period=period, date_from=date_from, date_to=date_to)
    labels = dict(Attribution.choices)
    unattributed = _("Not attributed yet")
    by_class = _counted(
        rows.annotate(bucket=PERIODS[period]("noticed_on")), "bucket", "attribution", "currency"
    )
    for r in by_class:
        report.by_class.append(
            ReportRow(
                group_key=r["attribution"],
                group=str(labels.get(r["attribution"], unattributed)),
                name=str(labels.get(r["attribution"], unattributed)),
                period=_period_label(r["bucket"], period),
                currency=r["currency"],
                reviews=r["n"],
                lost=r["n_lost"],
                shrinking=r["n_shrinking"],
                revenue_lost=_cents(r["amount"]),
            )
        )
    no_owner = _("No owner")
    for r in _counted(
        rows,
        "owner_at_review",
        "owner_at_review__name",
        "owner_at_review__name_en",
        "owner_at_review__name_pinyin",
        "currency",
    ).order_by("owner_at_review__name_pinyin", "owner_at_review", "currency"):
        report.by_owner.append(
            ReportRow(
                group_key=r["owner_at_review"],
                group=_name(r["owner_at_review__name"], r["owner_at_review__name_en"], no_owner),
                name=r["owner_at_review__name"] or no_owner,
                name_en=r["owner_at_review__name_en"] or "",
                period="",
                currency=r["currency"],
                reviews=r["n"],
                lost=r["n_lost"],
                shrinking=r["n_shrinking"],
                revenue_lost=_cents(r["amount"]),
            )
        )
    no_department = _("No department")
    for r in _counted(
        rows,
        "department",
        "department__name",
        "department__name_en",
        "department__name_pinyin",
        "currency",
    ).order_by("department__name_pinyin", "department", "currency"):
        report.by_department.append(
            ReportRow(
                group_key=r["department"],
                group=_name(r["department__name"], r["department__name_en"], no_department),
                name=r["department__name"] or no_department,
                name_en=r["department__name_en"] or "",
                period="",
                currency=r["currency"],
                reviews=r["n"],
                lost=r["n_lost"],
                shrinking=r["n_shrinking"],
                revenue_lost=_cents(r["amount"]),
            )
        )
    return report


def report_table(report: Report) -> tuple[list[str], list[list[object]]]:
    """The report as one table for CSV/XLSX export (a breakdown column names the part; people
    and departments by their Chinese name, with the English one beside it)."""
    header = [
        _("Breakdown"),
        _("Period"),
        _("Group"),
        _("English name"),
        _("Reviews"),
        _("Lost"),
        _("Shrinking"),
        _("Yearly revenue lost"),
        _("Currency"),
    ]
    parts = (
        (_("By class and period"), report.by_class),
        (_("By owner at the review"), report.by_owner),
        (_("By department at the review"), report.by_department),
    )
    table: list[list[object]] = []
    for title, rows in parts:
        for r in rows:
            table.append(
                [
                    title,
                    r.period,
                    r.name,
                    r.name_en,
                    r.reviews,
                    r.lost,
                    r.shrinking,
                    f"{r.revenue_lost:.2f}",
                    r.currency,
                ]
            )
    return header, table
