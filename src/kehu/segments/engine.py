"""Segment rules over purchase and usage facts (SPEC §3: loyal / floating / potential).

Three layers, each testable on its own:

- ``facts_for``: the facts of many accounts from a few aggregate queries over the usage
  records of the last 365 and 90 days (set-at-a-time, never a query per account);
- ``decide``: pure functions that try the rules in order on one account's facts;
- ``recompute``: applies the decisions — accounts with an override keep their segment, the
  changed ones are updated in bulk with a SegmentChange row and a timeline line each.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from kehu.customers.models import Account, Segment, SegmentChange, TimelineEntry
from kehu.customers.timeline import Phrase, phrase, wordings
from kehu.segments.models import SegmentRule
from kehu.usage.models import UsageRecord

YEAR_DAYS = 365
ACTIVE_WINDOW_DAYS = 90
ZERO = Decimal("0")
CHUNK = 500


@dataclass(frozen=True)
class Facts:
    """What the rules look at for one account; None where the fact is unknown."""

    tenure_months: int | None
    share_of_wallet_percent: Decimal | None
    uses_competitors: bool
    active_days_90: int
    spend_365: Decimal


@dataclass(frozen=True)
class Check:
    label: str
    holds: bool


@dataclass(frozen=True)
class Decision:
    segment: str  # "" when no rule matched: the account keeps what it has
    rule: SegmentRule | None
    checks: list[Check] = field(default_factory=list)

    @property
    def rule_name(self) -> str:
        return self.rule.name if self.rule is not None else ""


def tenure_months(since: date | None, today: date) -> int | None:
    """Whole months from ``since`` to ``today`` (None when the customer-since date is unknown)."""
    if since is None:
        return None
    months = (today.year - since.year) * 12 + (today.month - since.month)
    if today.day < since.day:
        months -= 1
    return max(months, 0)


def share_percent(known_spend: Decimal | None, total_spend: Decimal | None) -> Decimal | None:
    """Our spend as a percentage of the customer's total (None when the total is unknown or 0)."""
    if total_spend is None or total_spend <= 0:
        return None
    share = (known_spend or ZERO) * 100 / total_spend
    return min(share, Decimal(100)).quantize(Decimal("0.1"))


# --- pure rule evaluation ---------------------------------------------------------------------


def checks(rule: SegmentRule, facts: Facts) -> list[Check]:
    """Every condition the rule sets, with whether it holds for these facts."""
    found: list[Check] = []
    tenure = facts.tenure_months
    if rule.min_tenure_months is not None:
        found.append(
            Check(
                _("customer for at least %(n)s months") % {"n": rule.min_tenure_months},
                tenure is not None and tenure >= rule.min_tenure_months,
            )
        )
    if rule.max_tenure_months is not None:
        found.append(
            Check(
                _("customer for at most %(n)s months") % {"n": rule.max_tenure_months},
                tenure is not None and tenure <= rule.max_tenure_months,
            )
        )
    share = facts.share_of_wallet_percent
    if rule.min_share_of_wallet_percent is not None:
        found.append(
            Check(
                _("share of wallet at least %(n)s %%") % {"n": rule.min_share_of_wallet_percent},
                share is not None and share >= rule.min_share_of_wallet_percent,
            )
        )
    if rule.max_share_of_wallet_percent is not None:
        found.append(
            Check(
                _("share of wallet below %(n)s %%") % {"n": rule.max_share_of_wallet_percent},
                share is not None and share < rule.max_share_of_wallet_percent,
            )
        )
    if rule.uses_competitors == SegmentRule.Competitors.YES:
        found.append(Check(_("also buys from competitors"), facts.uses_competitors))
    elif rule.uses_competitors == SegmentRule.Competitors.NO:
        found.append(Check(_("buys only from us"), not facts.uses_competitors))
    if rule.min_active_days_90 is not None:
        found.append(
            Check(
                _("active on at least %(n)s of the last 90 days") % {"n": rule.min_active_days_90},
                facts.active_days_90 >= rule.min_active_days_90,
            )
        )
    if rule.min_spend_365 is not None:
        found.append(
            Check(
                _("spend in the last 365 days at least %(n)s") % {"n": rule.min_spend_365},
                facts.spend_365 >= rule.min_spend_365,
            )
        )
    if rule.max_spend_365 is not None:
        label = (
            _("no purchases in the last 365 days")
            if rule.max_spend_365 == 0
            else _("spend in the last 365 days at most %(n)s") % {"n": rule.max_spend_365}
        )
        found.append(Check(label, facts.spend_365 <= rule.max_spend_365))
    return found


def matches(rule: SegmentRule, facts: Facts) -> bool:
    return all(check.holds for check in checks(rule, facts))


def decide(rules: Sequence[SegmentRule], facts: Facts) -> Decision:
    """The first active rule (in the given order) whose conditions all hold decides."""
    for rule in rules:
        if not rule.is_active:
            continue
        found = checks(rule, facts)
        if all(check.holds for check in found):
            return Decision(segment=rule.segment, rule=rule, checks=found)
    return Decision(segment="", rule=None)


def active_rules() -> list[SegmentRule]:
    return list(SegmentRule.objects.filter(is_active=True).order_by("position", "id"))


# --- facts from the database, set-at-a-time ---------------------------------------------------


def facts_for(accounts: Iterable[dict[str, Any]], today: date) -> dict[int, Facts]:
    """Facts of the given accounts (dicts with id, customer_since, uses_competitors).

    Two aggregate queries over the usage records whatever the number of accounts: spend and
    share of wallet over the last 365 days, active days over the last 90.
    """
    rows = {row["id"]: row for row in accounts}
    if not rows:
        return {}
    year_start = today - timedelta(days=YEAR_DAYS - 1)
    window_start = today - timedelta(days=ACTIVE_WINDOW_DAYS - 1)
    money = DecimalField(max_digits=20, decimal_places=2)
    records = UsageRecord.objects.all()
    if len(rows) <= CHUNK:
        records = records.filter(account_id__in=list(rows))
    spend = {
        r["account_id"]: r
        for r in records.filter(day__gte=year_start, day__lte=today)
        .values("account_id")
        .annotate(
            our_spend=Coalesce(Sum("spend"), Value(ZERO), output_field=money),
            known_spend=Coalesce(
                Sum("spend", filter=Q(total_spend__isnull=False)), Value(ZERO), output_field=money
            ),
            known_total=Sum("total_spend"),
        )
    }
    active = dict(
        records.filter(day__gte=window_start, day__lte=today, quantity__gt=0)
        .values("account_id")
        .annotate(days=Count("day", distinct=True))
        .values_list("account_id", "days")
    )
    found: dict[int, Facts] = {}
    for pk, row in rows.items():
        money_row = spend.get(pk)
        found[pk] = Facts(
            tenure_months=tenure_months(row["customer_since"], today),
            share_of_wallet_percent=(
                share_percent(money_row["known_spend"], money_row["known_total"])
                if money_row
                else None
            ),
            uses_competitors=bool(row["uses_competitors"]),
            active_days_90=int(active.get(pk, 0)),
            spend_365=Decimal(money_row["our_spend"]) if money_row else ZERO,
        )
    return found


ACCOUNT_FIELDS = ("id", "customer_since", "uses_competitors", "segment", "segment_override_reason")


def explain(account: Account, today: date | None = None) -> tuple[Facts, Decision]:
    """The facts of one account and the rule that decides its segment (for its page)."""
    today = today or timezone.localdate()
    row = {name: getattr(account, name if name != "id" else "pk") for name in ACCOUNT_FIELDS}
    facts = facts_for([row], today)[account.pk]
    return facts, decide(active_rules(), facts)


# --- applying the decisions -------------------------------------------------------------------


@dataclass
class Result:
    accounts: int = 0
    changed: int = 0
    overridden: int = 0
    unmatched: int = 0


def segment_line(change: SegmentChange) -> tuple[Phrase, Phrase]:
    """Title and summary of a segment change's timeline line, in both languages."""
    none = gettext_lazy("none")
    title = phrase(
        gettext_noop("Segment: %(old)s → %(new)s"),
        old=Segment(change.old_segment).label if change.old_segment else none,
        new=Segment(change.new_segment).label if change.new_segment else none,
    )
    if change.source == SegmentChange.Source.RULE:
        summary = phrase(gettext_noop("Rule: %(rule)s"), rule=change.rule_name)
    elif change.source == SegmentChange.Source.OVERRIDE:
        summary = phrase(gettext_noop("Set by hand: %(reason)s"), reason=change.reason)
    else:
        summary = phrase(
            gettext_noop("Override withdrawn; rule: %(rule)s"), rule=change.rule_name or "-"
        )
    return title, summary


def segment_timeline_entry(change: SegmentChange, when: datetime) -> TimelineEntry:
    """The account-timeline line of a segment change (segments are base facts: not restricted)."""
    title, summary = (wordings(text) for text in segment_line(change))
    return TimelineEntry(
        account_id=change.account_id,
        kind=TimelineEntry.Kind.SEGMENT,
        occurred_at=when,
        title=title[0][:300],
        title_en=title[1][:300],
        summary=summary[0][:500],
        summary_en=summary[1][:500],
        actor=change.changed_by,
        source=f"segments.change:{change.pk}",
        restricted=False,
    )


def recompute(
    *,
    today: date | None = None,
    account_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> Result:
    """Evaluate the rules for every account (or the given ones) and apply the changes."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    rules = active_rules()
    accounts = Account.objects.all()
    if account_ids is not None:
        accounts = accounts.filter(pk__in=list(account_ids))
    rows = list(accounts.values(*ACCOUNT_FIELDS))
    facts = facts_for(rows, today)
    result = Result(accounts=len(rows))
    wanted: dict[int, Decision] = {}
    for row in rows:
        if row["segment_override_reason"]:
            result.overridden += 1
            continue
        decision = decide(rules, facts[row["id"]])
        if not decision.segment:
            result.unmatched += 1
        elif decision.segment != row["segment"]:
            wanted[row["id"]] = decision
    if wanted:
        result.changed = _apply(wanted, now)
    return result


def _apply(wanted: dict[int, Decision], now: datetime) -> int:
    """Write the changed segments; the rows are re-read under lock so an override set since
    the facts were read is not overwritten."""
    changes: list[SegmentChange] = []
    ids = sorted(wanted)
    with transaction.atomic():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            current = Account.objects.select_for_update().filter(
                pk__in=chunk, segment_override_reason=""
            )
            by_segment: dict[str, list[int]] = defaultdict(list)
            for pk, old in current.values_list("pk", "segment"):
                decision = wanted[pk]
                if decision.segment == old:
                    continue
                by_segment[decision.segment].append(pk)
                changes.append(
                    SegmentChange(
                        account_id=pk,
                        old_segment=old,
                        new_segment=decision.segment,
                        source=SegmentChange.Source.RULE,
                        rule_name=decision.rule_name[:200],
                    )
                )
            for segment, pks in by_segment.items():
                Account.objects.filter(pk__in=pks).update(segment=segment, segment_changed_at=now)
        created = SegmentChange.objects.bulk_create(changes, batch_size=CHUNK)
        TimelineEntry.objects.bulk_create(
            [segment_timeline_entry(change, now) for change in created], batch_size=CHUNK
        )
    return len(created)
