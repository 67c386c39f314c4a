"""Reads: rating roll-ups, callbacks, complaint archives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kehu.access.permissions import VIEW, can
from kehu.customers.models import Account
from kehu.desk.models import Ticket
from kehu.desk.priority import TicketType
from kehu.desk.rules import is_desk_staff, visible_tickets
from kehu.feedback.models import LOW_SCORE, CallbackTask, ComplaintRecord, SatisfactionRating

DIMENSIONS = ("agent", "department", "service")


@dataclass(frozen=True)
class RollupRow:
    id: int | None
    name: str
    count: int
    average: float | None
    low_share: float  # share of scores at or below LOW_SCORE, 0..1


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ratings_between(
    start: date | None = None, end: date | None = None
) -> QuerySet[SatisfactionRating]:
    """Ratings given from ``start`` through ``end`` (whole days in the current time zone)."""
    ratings = SatisfactionRating.objects.all()
    if start is not None:
        ratings = ratings.filter(created_at__gte=_local_midnight(start))
    if end is not None:
        ratings = ratings.filter(created_at__lt=_local_midnight(end + timedelta(days=1)))
    return ratings


_MEASURES: dict[str, Any] = {
    "count": Count("id"),
    "average": Avg("score"),
    "low": Count("id", filter=Q(score__lte=LOW_SCORE)),
}


def _row(key: int | None, name: str, values: dict[str, Any]) -> RollupRow:
    count = values["count"] or 0
    average = values["average"]
    return RollupRow(
        id=key,
        name=name,
        count=count,
        average=round(float(average), 2) if average is not None else None,
        low_share=round(values["low"] / count, 4) if count else 0.0,
    )


def _display(name: str | None, name_en: str | None) -> str:
    if name_en and not (get_language() or "en").startswith("zh"):
        return name_en
    return name or ""


def rating_rollup(
    *, by: str, start: date | None = None, end: date | None = None
) -> list[RollupRow]:
    """Count, average score and share of low scores per agent, department or internal service
    (one aggregate query), most rated first."""
    if by not in DIMENSIONS:
        raise ValueError(f"roll up by one of {DIMENSIONS}")
    ratings = ratings_between(start, end)
    if by == "service":
        ratings = ratings.filter(service__isnull=False)
    grouped = (
        ratings.values(f"{by}_id", f"{by}__name", f"{by}__name_en")
        .annotate(**_MEASURES)
        .order_by("-count", f"{by}__name", f"{by}_id")
    )
    return [
        _row(
            values[f"{by}_id"],
            _display(values[f"{by}__name"], values[f"{by}__name_en"])
            if values[f"{by}_id"] is not None
            else _("Unassigned"),
            values,
        )
        for values in grouped
    ]


def rating_total(*, start: date | None = None, end: date | None = None) -> RollupRow:
    """All ratings in the range as one row."""
    return _row(None, _("All ratings"), ratings_between(start, end).aggregate(**_MEASURES))


def visible_callbacks(user: Any) -> QuerySet[CallbackTask]:
    """Callbacks the user may see: desk staff see all, anyone else those assigned to them."""
    callbacks = CallbackTask.objects.select_related(
        "ticket", "rating", "assignee", "ticket__account"
    )
    if is_desk_staff(user):
        return callbacks
    return callbacks.filter(assignee__user=user) if user.is_authenticated else callbacks.none()


def my_callbacks(user: Any, *, include_done: bool = False) -> QuerySet[CallbackTask]:
    """Callbacks assigned to the user's employee record, open ones first, soonest due first."""
    callbacks = visible_callbacks(user).filter(assignee__user=user)
    if not include_done:
        callbacks = callbacks.filter(done_at__isnull=True)
    return callbacks.order_by("done_at", "due_at", "id")


@dataclass(frozen=True)
class ComplaintArchive:
    account: Account
    tickets: list[Ticket]
    recorded: int
    loss_amount: Decimal
    loss_hours: Decimal


def account_complaints(user: Any, account: Account) -> ComplaintArchive:
    """The account's complaint tickets the user may see, each with its record, and the totals."""
    tickets = visible_tickets(
        user, Ticket.objects.filter(account=account, ticket_type=TicketType.COMPLAINT)
    ).select_related(
        "complaint_record__responsible_employee",
        "complaint_record__responsible_department",
        "department",
    )
    rows = list(tickets.order_by("-created_at", "-id"))
    totals = ComplaintRecord.objects.filter(ticket__in=[t.pk for t in rows]).aggregate(
        recorded=Count("id"), amount=Sum("loss_amount"), hours=Sum("loss_hours")
    )
    return ComplaintArchive(
        account=account,
        tickets=rows,
        recorded=totals["recorded"],
        loss_amount=totals["amount"] or Decimal("0.00"),
        loss_hours=totals["hours"] or Decimal("0.00"),
    )


def complaint_record_for(ticket: Ticket) -> ComplaintRecord | None:
    return (
        ComplaintRecord.objects.select_related("responsible_employee", "responsible_department")
        .filter(ticket=ticket)
        .first()
    )


def can_view_ratings(user: Any) -> bool:
    return can(user, VIEW, SatisfactionRating)
