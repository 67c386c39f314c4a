"""Swing detection: thresholds, both baselines, gaps, zero baselines, idempotence, announcing."""

from datetime import timedelta
from decimal import Decimal

import pytest

from kehu.customers.models import TimelineEntry
from kehu.notify.models import Notification
from kehu.usage import swings
from kehu.usage.models import DetectionRun, SwingAlert, SwingRule
from kehu.usage.tests.conftest import DAY, days, rule, write

BEFORE = DAY - timedelta(days=7)


def week_pair(account, product, before, current):
    write(account, product, days(BEFORE, 7, before) | days(DAY, 7, current))


@pytest.mark.parametrize(
    "current,fires,percent",
    [
        (130, True, Decimal("30.00")),  # exactly at the threshold fires
        (129, False, None),
        (150, True, Decimal("50.00")),
        (70, True, Decimal("-30.00")),
        (71, False, None),
        (40, True, Decimal("-60.00")),
    ],
)
def test_week_over_week_up_and_down_at_below_and_above_threshold(
    account, products, current, fires, percent
):
    rule()
    week_pair(account, products["vm"], 100, current)
    created = swings.detect(DAY)
    assert bool(created) is fires
    if fires:
        alert = created[0]
        assert alert.change_percent == percent
        assert alert.baseline_value == Decimal(700)
        assert alert.current_value == Decimal(current * 7)


def test_same_weekday_compares_the_day_with_the_average_of_earlier_same_weekdays(account, products):
    rule(baseline=SwingRule.Baseline.SAME_WEEKDAY, baseline_weeks=3, threshold_percent=50)
    # Mondays... the same weekday as DAY, 1–3 weeks back: 80, 100, 120 → average 100.
    values = {DAY - timedelta(days=7 * n): v for n, v in ((1, 80), (2, 100), (3, 120))}
    # Other weekdays are far higher and must not count; a 4th week back is outside the window.
    values |= {DAY - timedelta(days=n): 1000 for n in (1, 2, 3, 8)}
    values[DAY - timedelta(days=28)] = 5000
    write(account, products["vm"], values | {DAY: 160})
    (alert,) = swings.detect(DAY)
    assert alert.baseline_value == Decimal(100)
    assert alert.change_percent == Decimal("60.00")


def test_same_weekday_under_threshold_stays_quiet(account, products):
    rule(baseline=SwingRule.Baseline.SAME_WEEKDAY, baseline_weeks=2, threshold_percent=50)
    write(
        account,
        products["vm"],
        {DAY - timedelta(days=7): 100, DAY - timedelta(days=14): 100, DAY: 140},
    )
    assert swings.detect(DAY) == []


def test_a_missing_day_is_no_data_not_zero(account, products):
    rule()
    values = days(BEFORE, 7, 100) | days(DAY, 7, 100)
    for gap in (DAY, DAY - timedelta(days=1), DAY - timedelta(days=2)):
        values[gap] = None  # the import of three days has not arrived
    write(account, products["vm"], values)
    assert swings.detect(DAY) == []  # 4 days of 100 scaled to a week: no drop


def test_a_window_without_any_record_is_unknown(account, products):
    rule()
    write(account, products["vm"], days(BEFORE, 7, 100))  # nothing in the current week
    write(account, products["oss"], days(DAY, 7, 100))  # nothing in the baseline week
    assert swings.detect(DAY) == []
    rule(name="同工作日", baseline=SwingRule.Baseline.SAME_WEEKDAY)
    assert swings.detect(DAY - timedelta(days=1)) == []


def test_records_summing_to_zero_are_a_real_zero(account, products):
    rule()
    week_pair(account, products["vm"], 100, 0)
    (alert,) = swings.detect(DAY)
    assert alert.change_percent == Decimal("-100.00")


def test_a_zero_baseline_with_usage_now_is_started_from_zero(account, products):
    rule(threshold_percent=1000)
    week_pair(account, products["vm"], 0, 5)
    (alert,) = swings.detect(DAY)
    assert alert.change_percent is None
    assert alert.baseline_value == 0
    assert alert.current_value == 35


def test_zero_against_zero_is_nothing(account, products):
    rule()
    week_pair(account, products["vm"], 0, 0)
    assert swings.detect(DAY) == []


def test_spend_rule_measures_spend(account, products):
    rule(metric=SwingRule.Metric.SPEND)
    write(account, products["vm"], days(BEFORE, 7, 100) | days(DAY, 7, 200), spend=True)
    (alert,) = swings.detect(DAY)
    assert alert.current_value == Decimal(2800)


def test_a_product_rule_watches_only_its_product(account, products):
    rule(product=products["oss"])
    week_pair(account, products["vm"], 100, 300)
    assert swings.detect(DAY) == []
    week_pair(account, products["oss"], 100, 300)
    (alert,) = swings.detect(DAY)
    assert alert.product == products["oss"]


def test_inactive_rules_do_not_run(account, products):
    rule(is_active=False)
    week_pair(account, products["vm"], 100, 300)
    assert swings.detect(DAY) == []


def test_running_the_same_day_again_creates_and_tells_nothing_new(
    world, account, products, django_capture_on_commit_callbacks
):
    rule()
    week_pair(account, products["vm"], 100, 300)
    with django_capture_on_commit_callbacks():
        assert len(swings.detect(DAY)) == 1
    notes = Notification.objects.count()
    assert swings.detect(DAY) == []
    assert SwingAlert.objects.count() == 1
    assert Notification.objects.count() == notes
    assert DetectionRun.objects.get(day=DAY).alerts == 1


def test_new_alerts_tell_the_owner_and_every_after_sales_user_once(
    world, account, products, owner_user, django_capture_on_commit_callbacks
):
    from kehu.access.models import Role
    from kehu.conftest import make_user

    second = make_user("after_sales_2", (Role.AFTER_SALES, None))
    second.language = "zh-hans"
    second.save()
    rule()
    week_pair(account, products["vm"], 100, 300)
    week_pair(account, products["oss"], 100, 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = swings.detect(DAY)
    assert len(created) == 2
    assert len(callbacks) == 1  # email delivery is started after commit
    told = sorted(Notification.objects.values_list("recipient__username", flat=True))
    assert told == sorted(["account_manager", "after_sales", "after_sales_2"] * 2)
    chinese = Notification.objects.filter(recipient=second).first()
    assert "华东电商有限公司" in chinese.title
    assert "华东电商有限公司" in Notification.objects.filter(recipient=owner_user).first().title
    assert not Notification.objects.filter(recipient=world.agent).exists()


def test_each_alert_gets_a_restricted_timeline_line(account, products):
    rule()
    week_pair(account, products["vm"], 100, 300)
    (alert,) = swings.detect(DAY)
    entry = TimelineEntry.objects.get(source=f"usage.swingalert:{alert.pk}")
    assert entry.kind == TimelineEntry.Kind.USAGE_ALERT
    assert entry.restricted
    assert entry.account == account
    assert "+200" in entry.title


def test_detection_is_a_handful_of_queries_whatever_the_number_of_accounts(
    world, products, django_assert_max_num_queries
):
    from kehu.customers.models import Account

    rule()
    rule(name="同工作日", baseline=SwingRule.Baseline.SAME_WEEKDAY)
    for n in range(20):
        week_pair(Account.objects.create(name=f"客户{n}"), products["vm"], 100, 100 + 10 * n)
    with django_assert_max_num_queries(24):
        created = swings.detect(DAY)
    assert len(created) == 2 * 17  # +30 % … +190 %, by both rules


def test_default_day_is_yesterday_in_the_configured_time_zone(settings):
    from datetime import UTC, datetime

    settings.TIME_ZONE = "Asia/Shanghai"
    # 17:00 UTC on the 14th is 01:00 on the 15th in Shanghai: yesterday is the 14th.
    assert swings.default_day(datetime(2026, 3, 14, 17, 0, tzinfo=UTC)) == DAY - timedelta(days=1)
