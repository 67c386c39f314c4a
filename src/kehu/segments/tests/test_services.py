"""Overrides, withdrawals and the once-a-day run."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account, SegmentChange, TimelineEntry
from kehu.segments import services
from kehu.segments.models import SegmentRun
from kehu.segments.tasks import run_segment_rules


@pytest.fixture
def account(db):
    # No usage at all: the default rules say "potential".
    return Account.objects.create(name="甲公司", customer_since=date(2020, 1, 1))


def test_override_sets_segment_with_reason_history_and_timeline(world, account):
    updated = services.segment_override(
        account=account,
        segment="loyal",
        reason="三年框架协议",
        expected_version=account.version,
        by=world.account_manager,
    )
    assert (updated.segment, updated.segment_override_reason) == ("loyal", "三年框架协议")
    assert updated.version == account.version + 1
    change = SegmentChange.objects.get(account=account)
    assert (change.source, change.new_segment, change.reason, change.changed_by) == (
        "override",
        "loyal",
        "三年框架协议",
        world.account_manager,
    )
    line = TimelineEntry.objects.get(account=account, kind=TimelineEntry.Kind.SEGMENT)
    assert "三年框架协议" in line.summary and line.actor == world.account_manager


def test_override_survives_recompute_and_withdraw_applies_rules_at_once(world, account):
    services.segment_override(
        account=account, segment="loyal", reason="战略", expected_version=1, by=world.admin
    )
    services.segments_recompute()
    assert Account.objects.get(pk=account.pk).segment == "loyal"

    current = Account.objects.get(pk=account.pk)
    updated = services.segment_withdraw_override(
        account=current, expected_version=current.version, by=world.admin
    )
    assert (updated.segment, updated.segment_override_reason) == ("potential", "")
    change = SegmentChange.objects.filter(account=account).first()
    assert (change.source, change.old_segment, change.new_segment, change.rule_name) == (
        "withdrawn",
        "loyal",
        "potential",
        "No purchases in the last year",
    )
    assert TimelineEntry.objects.filter(account=account, kind="segment").count() == 2


@pytest.mark.parametrize(
    "segment,reason,field",
    [("loyal", "   ", "reason"), ("gold", "x", "segment"), ("loyal", "x" * 501, "reason")],
)
def test_override_needs_a_known_segment_and_a_reason(world, account, segment, reason, field):
    with pytest.raises(ValidationError) as caught:
        services.segment_override(
            account=account, segment=segment, reason=reason, expected_version=1, by=world.admin
        )
    assert field in caught.value.message_dict
    assert not SegmentChange.objects.exists()


def test_stale_version_is_refused(world, account):
    with pytest.raises(StaleVersionError):
        services.segment_override(
            account=account, segment="loyal", reason="x", expected_version=7, by=world.admin
        )
    with pytest.raises(StaleVersionError):
        services.segment_withdraw_override(account=account, expected_version=7, by=world.admin)
    assert not SegmentChange.objects.exists()


def test_withdraw_without_override_is_refused(world, account):
    with pytest.raises(ValidationError, match="not overridden"):
        services.segment_withdraw_override(account=account, expected_version=1, by=world.admin)


def test_daily_run_happens_once_per_day(account):
    today = date(2026, 11, 25)
    first = services.segments_daily_run(today=today)
    assert first is not None and first.changed == 1
    assert services.segments_daily_run(today=today) is None
    run = SegmentRun.objects.get(day=today)
    assert run.finished_at is not None and (run.accounts, run.changed) == (1, 1)
    assert services.segments_daily_run(today=today + timedelta(days=1)) is not None
    assert SegmentRun.objects.count() == 2


def test_the_periodic_task_is_scheduled_and_cheap_when_done(account):
    from kehu.core.schedule import PERIODIC_TASKS

    assert "kehu.segments.tasks.run_segment_rules" in PERIODIC_TASKS
    assert run_segment_rules.call()["ran"] is True
    assert run_segment_rules.call() == {"ran": False}


def test_rule_update_refuses_stale_version_and_bad_limits(db):
    rule = services.rule_create(
        fields={"name": "新客户", "segment": "floating", "max_tenure_months": 6}
    )
    with pytest.raises(StaleVersionError):
        services.rule_update(rule=rule, expected_version=9, fields={"name": "x"})
    with pytest.raises(ValidationError):
        services.rule_update(
            rule=rule, expected_version=1, fields={"min_tenure_months": 12, "max_tenure_months": 6}
        )
    with pytest.raises(ValidationError):
        services.rule_create(fields={"name": "x", "segment": "floating", "owner": 1})
