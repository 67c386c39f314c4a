"""The segment rules as pure functions (no database) and the engine over crafted usage data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kehu.customers.models import Account, SegmentChange, TimelineEntry
from kehu.segments import engine
from kehu.segments.engine import Facts, decide, matches, share_percent, tenure_months
from kehu.segments.models import SegmentRule
from kehu.usage.models import Product, UsageRecord

TODAY = date(2026, 11, 25)


def facts(**overrides):
    values = {
        "tenure_months": 36,
        "share_of_wallet_percent": Decimal("80"),
        "uses_competitors": False,
        "active_days_90": 80,
        "spend_365": Decimal("5000"),
    }
    return Facts(**{**values, **overrides})


def rule(**fields):
    return SegmentRule(
        name=fields.pop("name", "r"), segment=fields.pop("segment", "loyal"), **fields
    )


def defaults():
    from kehu.segments.defaults import DEFAULT_RULES

    return [SegmentRule(**fields) for fields in DEFAULT_RULES]


def test_tenure_counts_whole_months_and_is_unknown_without_a_date():
    assert tenure_months(date(2024, 11, 25), TODAY) == 24
    assert tenure_months(date(2024, 11, 26), TODAY) == 23
    assert tenure_months(date(2027, 1, 1), TODAY) == 0
    assert tenure_months(None, TODAY) is None


def test_share_of_wallet_is_unknown_without_a_total():
    assert share_percent(Decimal("60"), Decimal("100")) == Decimal("60.0")
    assert share_percent(Decimal("10"), None) is None
    assert share_percent(Decimal("10"), Decimal("0")) is None
    assert share_percent(None, Decimal("50")) == Decimal("0.0")


@pytest.mark.parametrize(
    "condition,holds,fails",
    [
        ({"min_tenure_months": 24}, {"tenure_months": 24}, {"tenure_months": 23}),
        ({"max_tenure_months": 6}, {"tenure_months": 6}, {"tenure_months": 7}),
        (
            {"min_share_of_wallet_percent": 50},
            {"share_of_wallet_percent": Decimal(50)},
            {"share_of_wallet_percent": Decimal("49.9")},
        ),
        (
            {"max_share_of_wallet_percent": 60},
            {"share_of_wallet_percent": Decimal("59.9")},
            {"share_of_wallet_percent": Decimal(60)},
        ),
        ({"uses_competitors": "yes"}, {"uses_competitors": True}, {"uses_competitors": False}),
        ({"uses_competitors": "no"}, {"uses_competitors": False}, {"uses_competitors": True}),
        ({"min_active_days_90": 60}, {"active_days_90": 60}, {"active_days_90": 59}),
        ({"min_spend_365": Decimal(100)}, {"spend_365": Decimal(100)}, {"spend_365": Decimal(99)}),
        ({"max_spend_365": Decimal(0)}, {"spend_365": Decimal(0)}, {"spend_365": Decimal("0.01")}),
    ],
)
def test_each_condition(condition, holds, fails):
    r = rule(**condition)
    assert matches(r, facts(**holds))
    assert not matches(r, facts(**fails))


def test_unknown_facts_never_satisfy_a_condition_on_them():
    no_since = facts(tenure_months=None)
    assert not matches(rule(min_tenure_months=0), no_since)
    assert not matches(rule(max_tenure_months=1000), no_since)
    no_total = facts(share_of_wallet_percent=None)
    assert not matches(rule(max_share_of_wallet_percent=100), no_total)
    assert not matches(rule(min_share_of_wallet_percent=0), no_total)
    assert matches(rule(uses_competitors="any"), no_total)


def test_all_conditions_must_hold():
    r = rule(min_tenure_months=24, min_active_days_90=60)
    assert matches(r, facts(tenure_months=30, active_days_90=61))
    assert not matches(r, facts(tenure_months=30, active_days_90=10))


def test_first_matching_active_rule_wins_and_inactive_rules_are_skipped():
    rules = [
        rule(name="inactive", segment="potential", is_active=False),
        rule(name="competitors", segment="floating", uses_competitors="yes"),
        rule(name="loyal", segment="loyal", min_tenure_months=24),
    ]
    decision = decide(rules, facts(uses_competitors=True, tenure_months=48))
    assert (decision.segment, decision.rule_name) == ("floating", "competitors")
    assert [c.holds for c in decision.checks] == [True]
    assert decide(rules, facts()).rule_name == "loyal"


def test_no_matching_rule_decides_nothing():
    decision = decide([rule(min_tenure_months=100)], facts())
    assert decision.segment == "" and decision.rule is None


@pytest.mark.parametrize(
    "account_facts,segment,rule_name",
    [
        (facts(spend_365=Decimal(0)), "potential", "No purchases in the last year"),
        (facts(uses_competitors=True), "floating", "Also buys from competitors"),
        (facts(share_of_wallet_percent=Decimal(40)), "floating", "Less than 60 % share of wallet"),
        (facts(), "loyal", "Long-standing and active"),
        (facts(tenure_months=12), "floating", "Everyone else"),
        (facts(tenure_months=None, share_of_wallet_percent=None), "floating", "Everyone else"),
        (facts(active_days_90=0), "floating", "Everyone else"),
    ],
)
def test_default_rules(account_facts, segment, rule_name):
    decision = decide(defaults(), account_facts)
    assert (decision.segment, decision.rule_name) == (segment, rule_name)


# --- on the database ---------------------------------------------------------------------------


@pytest.fixture
def product(db):
    return Product.objects.create(code="cloud", name="云主机")


def usage(account, product, days, *, quantity=1, spend=10, total=None, today=TODAY):
    UsageRecord.objects.bulk_create(
        UsageRecord(
            account=account,
            product=product,
            day=today - timedelta(days=n),
            quantity=Decimal(quantity),
            spend=None if spend is None else Decimal(spend),
            total_spend=None if total is None else Decimal(total),
        )
        for n in days
    )


def test_facts_from_usage_records(product):
    account = Account.objects.create(name="甲", customer_since=date(2020, 1, 1))
    other = Account.objects.create(name="乙")
    usage(account, product, range(0, 70), spend=10, total=20)  # 70 active days, share 50 %
    usage(account, product, range(100, 110), quantity=0, spend=5)  # outside 90 days, no total
    usage(account, product, [400], spend=1000)  # older than a year: ignored
    found = engine.facts_for(Account.objects.values(*engine.ACCOUNT_FIELDS), TODAY)
    assert found[account.pk] == Facts(
        tenure_months=82,
        share_of_wallet_percent=Decimal("50.0"),
        uses_competitors=False,
        active_days_90=70,
        spend_365=Decimal("750"),
    )
    assert found[other.pk] == Facts(None, None, False, 0, Decimal(0))


def test_recompute_sets_segments_writes_history_and_timeline(product):
    loyal = Account.objects.create(name="老客户", customer_since=date(2020, 1, 1))
    usage(loyal, product, range(0, 80), spend=10, total=11)
    potential = Account.objects.create(name="潜在", customer_since=date(2025, 1, 1))
    competing = Account.objects.create(name="游离", uses_competitors=True)
    usage(competing, product, [1], spend=5)

    result = engine.recompute(today=TODAY)

    assert result.changed == 3
    segments = dict(Account.objects.values_list("name", "segment"))
    assert segments == {"老客户": "loyal", "潜在": "potential", "游离": "floating"}
    change = SegmentChange.objects.get(account=loyal)
    assert (change.old_segment, change.new_segment, change.source, change.rule_name) == (
        "",
        "loyal",
        "rule",
        "Long-standing and active",
    )
    line = TimelineEntry.objects.get(account=loyal)
    assert line.kind == TimelineEntry.Kind.SEGMENT and not line.restricted
    assert "Long-standing and active" in line.summary
    assert Account.objects.get(pk=potential.pk).segment_changed_at is not None

    # Nothing changed: nothing written the second time.
    assert engine.recompute(today=TODAY).changed == 0
    assert SegmentChange.objects.count() == 3 and TimelineEntry.objects.count() == 3


def test_overridden_accounts_keep_their_segment(product):
    account = Account.objects.create(name="甲", segment="loyal", segment_override_reason="战略客户")
    result = engine.recompute(today=TODAY)
    assert result.overridden == 1 and result.changed == 0
    assert Account.objects.get(pk=account.pk).segment == "loyal"
    assert not SegmentChange.objects.exists()


def test_recompute_queries_do_not_grow_with_accounts(product, django_assert_max_num_queries):
    for n in range(30):
        account = Account.objects.create(name=f"客户{n}", customer_since=date(2019, 1, 1))
        usage(account, product, range(0, n * 3), spend=n, total=n * 2 if n % 2 else None)
    with django_assert_max_num_queries(14):
        result = engine.recompute(today=TODAY)
    assert result.accounts == 30 and result.changed == 30


def test_no_rules_leaves_segments_alone(product):
    SegmentRule.objects.all().delete()
    account = Account.objects.create(name="甲", segment="floating")
    result = engine.recompute(today=TODAY)
    assert result.unmatched == 1 and result.changed == 0
    assert Account.objects.get(pk=account.pk).segment == "floating"
