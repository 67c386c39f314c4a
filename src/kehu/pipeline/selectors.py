"""Reads of the pipeline: the board, lists, the weighted forecast and conversion figures.

Every read starts from ``rules.visible_opportunities`` and costs a fixed number of queries
whatever the number of opportunities; the forecast and the conversion figures aggregate in the
database (one GROUP BY for the forecast).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Substr
from django.utils import timezone

from kehu.org.models import Department, Team
from kehu.pipeline.models import Opportunity, Outcome, Stage, StageMove
from kehu.pipeline.rules import reads_whole_pipeline, visible_opportunities

CENT = Decimal("0.01")
BOARD_CARDS = 50  # cards shown per column; the column says how many more there are
CLOSED_ON_BOARD_DAYS = 90  # won and lost columns show what closed in this many days


def opportunities() -> QuerySet[Opportunity]:
    return Opportunity.objects.select_related(
        "account", "stage", "ar", "ar__department", "sr", "fr"
    )


def probability() -> Any:
    return Coalesce("probability_override", "stage__probability")


@dataclass
class Filters:
    q: str = ""
    stage: int | None = None
    account: int | None = None
    ar: int | None = None
    department: int | None = None
    outcome: str = ""
    currency: str = ""
    close_from: date | None = None
    close_to: date | None = None


def filtered(user: Any, filters: Filters) -> QuerySet[Opportunity]:
    """The opportunities the user sees, narrowed by the filters."""
    found = visible_opportunities(user)
    if filters.q:
        found = found.filter(
            Q(name__icontains=filters.q)
            | Q(account__name__icontains=filters.q)
            | Q(account__name_en__icontains=filters.q)
        )
    if filters.stage:
        found = found.filter(stage_id=filters.stage)
    if filters.account:
        found = found.filter(account_id=filters.account)
    if filters.ar:
        found = found.filter(ar_id=filters.ar)
    if filters.department:
        found = found.filter(ar__department_id=filters.department)
    if filters.outcome:
        found = found.filter(stage__outcome=filters.outcome)
    if filters.currency:
        found = found.filter(currency=filters.currency)
    if filters.close_from:
        found = found.filter(expected_close__gte=filters.close_from)
    if filters.close_to:
        found = found.filter(expected_close__lte=filters.close_to)
    return found


@dataclass
class Column:
    stage: Stage
    cards: list[Opportunity]
    count: int
    amount: dict[str, Decimal]

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def board(user: Any, filters: Filters, *, today: date | None = None) -> list[Column]:
    """One column per stage in use: its cards (soonest close first), count and totals; won and
    lost show only the last ``CLOSED_ON_BOARD_DAYS`` days. 2 + one query per stage."""
    today = today or timezone.localdate()
    stages = list(Stage.objects.filter(is_active=True))
    base = filtered(user, filters).filter(
        Q(stage__outcome=Outcome.OPEN)
        | Q(closed_at__gte=_start_of(today - timedelta(days=CLOSED_ON_BOARD_DAYS)))
    )
    totals: dict[int, dict[str, Any]] = defaultdict(lambda: {"count": 0, "amount": {}})
    for row in base.values("stage_id", "currency").annotate(n=Count("pk"), total=Sum("amount")):
        entry = totals[row["stage_id"]]
        entry["count"] += row["n"]
        entry["amount"][row["currency"]] = row["total"]
    columns = []
    for stage in stages:
        entry = totals[stage.pk]
        cards = (
            list(
                opportunities()
                .filter(pk__in=base.filter(stage=stage).values("pk"))
                .order_by("expected_close", "pk")[:BOARD_CARDS]
            )
            if entry["count"]
            else []
        )
        for card in cards:
            card.stage = stage
        columns.append(Column(stage, cards, entry["count"], entry["amount"]))
    return columns


# --- the weighted forecast --------------------------------------------------------------------


@dataclass
class ForecastRow:
    period: date
    group_id: int | None
    currency: str
    count: int
    amount: Decimal  # open opportunities
    weighted: Decimal  # open × probability, plus won
    won: Decimal
    group_name: str = ""
    label: str = ""


@dataclass
class Forecast:
    period: str
    group: str
    rows: list[ForecastRow] = field(default_factory=list)
    currencies: list[str] = field(default_factory=list)

    def periods(self) -> list[date]:
        return sorted({r.period for r in self.rows})

    def totals(self, currency: str) -> dict[date, Decimal]:
        sums: dict[date, Decimal] = defaultdict(Decimal)
        for row in self.rows:
            if row.currency == currency:
                sums[row.period] += row.weighted
        return dict(sums)


GROUPS = {"": None, "department": "ar__department_id", "team": "ar__team_id"}


def forecast(
    user: Any,
    *,
    period: str = "month",
    group: str = "",
    start: date | None = None,
    end: date | None = None,
    filters: Filters | None = None,
) -> Forecast:
    """Weighted forecast (amount × probability) by month or quarter of the expected close, per
    currency and optionally per department or team of the AR: one aggregate query (and one
    for the group names). Won opportunities count in full in the month they were won; lost
    ones not at all."""
    today = timezone.localdate()
    start = start or today.replace(day=1)
    end = end or (start + timedelta(days=366))
    group_field = GROUPS.get(group)
    # The stages are few: their outcome and probability go into the query as constants, so
    # the opportunities are aggregated without joining the stage table.
    stages = list(Stage.objects.all())
    open_ids = [st.pk for st in stages if st.outcome == Outcome.OPEN]
    won_ids = [st.pk for st in stages if st.outcome == Outcome.WON]
    stage_probability = Case(
        *[When(stage_id=st.pk, then=Value(st.probability)) for st in stages],
        default=Value(0),
        output_field=IntegerField(),
    )
    found = filtered(user, filters or Filters()).filter(
        expected_close__gte=start,
        expected_close__lte=end,
        stage_id__in=open_ids + won_ids,
    )
    money = DecimalField(max_digits=20, decimal_places=2)
    is_open = Q(stage_id__in=open_ids)
    # The month as text ("2031-01") from the ISO date: plain SQL on both databases, where
    # TruncMonth would call a Python function per row on SQLite. Quarters are summed from
    # the months below.
    keys: dict[str, Any] = {"p": Substr(Cast("expected_close", CharField(max_length=10)), 1, 7)}
    if group_field:
        keys["g"] = F(group_field)
    grouped: Any = found  # the django-stubs plugin cannot type values() with computed keys
    rows = grouped.values(**keys, c=F("currency")).annotate(
        n=Count("pk"),
        open_amount=Sum("amount", filter=is_open),
        weighted_sum=Sum(
            ExpressionWrapper(
                F("amount") * Coalesce("probability_override", stage_probability),
                output_field=money,
            ),
            output_field=money,
        ),
        won_amount=Sum("amount", filter=Q(stage_id__in=won_ids)),
    )
    summed: dict[tuple[date, Any, str], ForecastRow] = {}
    for row in rows.order_by():
        month = date(int(row["p"][:4]), int(row["p"][5:7]), 1)
        key_period = (
            month.replace(month=(month.month - 1) // 3 * 3 + 1) if period == "quarter" else month
        )
        key = (key_period, row.get("g"), row["c"])
        found_row = summed.get(key)
        if found_row is None:
            found_row = summed[key] = ForecastRow(
                period=key_period,
                group_id=row.get("g"),
                currency=row["c"],
                count=0,
                amount=Decimal(0),
                weighted=Decimal(0),
                won=Decimal(0),
                label=period_label(key_period, period),
            )
        found_row.count += row["n"]
        found_row.amount += Decimal(row["open_amount"] or 0)
        found_row.weighted += Decimal(row["weighted_sum"] or 0) / 100
        found_row.won += Decimal(row["won_amount"] or 0)
    result = Forecast(period=period, group=group)
    for _key, found_row in sorted(
        summed.items(), key=lambda item: (item[0][0], item[0][2], item[0][1] or 0)
    ):
        found_row.amount = _money(found_row.amount)
        found_row.weighted = _money(found_row.weighted)
        found_row.won = _money(found_row.won)
        result.rows.append(found_row)
    result.currencies = sorted({r.currency for r in result.rows})
    if group_field:
        model = Team if group == "team" else Department
        names = {
            g.pk: g.display_name
            for g in model.objects.filter(pk__in={r.group_id for r in result.rows})
        }
        for r in result.rows:
            r.group_name = names.get(r.group_id, "") if r.group_id else ""
    return result


def period_label(day: date, period: str) -> str:
    if period == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    return day.strftime("%Y-%m")


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


# --- conversion rates and cycle times ----------------------------------------------------------


@dataclass
class StageFigures:
    stage: Stage
    entered: int
    advanced: int
    average_days: float | None

    @property
    def rate(self) -> float | None:
        return round(100 * self.advanced / self.entered, 1) if self.entered else None


@dataclass
class Conversion:
    stages: list[StageFigures]
    won: int
    lost: int
    average_days_to_win: float | None

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return round(100 * self.won / closed, 1) if closed else None


def _days(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        return round(value.total_seconds() / 86400, 1)
    return round(float(value) / 86_400_000_000, 1)  # microseconds (SQLite)


def conversion(user: Any, *, start: date | None = None, end: date | None = None) -> Conversion:
    """Of the opportunities that entered each open stage in the period, how many went further
    (to a later stage, lost excluded) and how long they stayed; the win rate and the average
    days from opening to winning. Four queries whatever the size."""
    end = end or timezone.localdate()
    start = start or end - timedelta(days=365)
    # Instants, not ``__date`` lookups: those call a Python function per row on SQLite.
    since = _start_of(start)
    until = _start_of(end + timedelta(days=1))
    moves = StageMove.objects.filter(moved_at__gte=since, moved_at__lt=until)
    closed = Opportunity.objects.filter(closed_at__gte=since, closed_at__lt=until)
    if not reads_whole_pipeline(user):  # readers of everything need no IN (…) on each row
        visible = visible_opportunities(user).values("pk")
        moves = moves.filter(opportunity__in=visible)
        closed = closed.filter(pk__in=visible)
    # Each move knows whether the opportunity later went further and how long it stayed
    # (written by ``services.opportunity_move``): one GROUP BY, no join.
    open_ids = list(Stage.objects.filter(outcome=Outcome.OPEN).values_list("pk", flat=True))
    rows: dict[int, Any] = {
        row["to_stage"]: row
        for row in moves.filter(to_stage_id__in=open_ids)
        .values("to_stage")
        .annotate(
            entered=Count("opportunity", distinct=True),
            advanced=Count("opportunity", distinct=True, filter=Q(went_further=True)),
            spent=Avg("seconds_in_stage"),
        )
        .order_by()
    }
    figures = []
    for stage in Stage.objects.filter(is_active=True, outcome=Outcome.OPEN):
        row: Any = rows.get(stage.pk, {})
        figures.append(
            StageFigures(
                stage,
                row.get("entered", 0),
                row.get("advanced", 0),
                None if row.get("spent") is None else round(row["spent"] / 86400, 1),
            )
        )
    counts = closed.aggregate(
        won=Count("pk", filter=Q(stage__outcome=Outcome.WON)),
        lost=Count("pk", filter=Q(stage__outcome=Outcome.LOST)),
        days=_avg_duration(F("closed_at") - F("created_at"), Q(stage__outcome=Outcome.WON)),
    )
    return Conversion(figures, counts["won"], counts["lost"], _days(counts["days"]))


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _avg_duration(expression: Any, condition: Q | None = None) -> Any:
    from django.db.models import Avg

    return Avg(ExpressionWrapper(expression, output_field=DurationField()), filter=condition)
