"""The weighted forecast and the conversion figures."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from kehu.conftest import EmployeeFactory
from kehu.org.models import Team
from kehu.pipeline import services
from kehu.pipeline.selectors import conversion, forecast
from kehu.pipeline.tests.factories import opportunity, sales, stage

START = date(2031, 1, 1)


def test_the_forecast_weighs_open_deals_counts_won_in_full_and_lost_not_at_all(world):
    s = sales(world)
    opportunity(s.account, "一月", amount="1000", expected_close=date(2031, 1, 20))  # 10 %
    solution = opportunity(s.account, "一月方案", amount="2000", expected_close=date(2031, 1, 5))
    services.opportunity_move(opportunity=solution, version=1, to_stage=stage("solution"), by=None)
    opportunity(s.account, "二月", amount="500", expected_close=date(2031, 2, 1), currency="USD")
    lost = opportunity(s.account, "丢了", amount="9999", expected_close=date(2031, 1, 9))
    services.opportunity_move(
        opportunity=lost, version=1, to_stage=stage("lost"), by=None, win_loss_reason="price"
    )
    result = forecast(world.admin, start=START, end=date(2031, 12, 31))
    rows = {(r.label, r.currency): r for r in result.rows}
    january = rows[("2031-01", "CNY")]
    assert january.count == 2
    assert january.amount == Decimal("3000.00")
    assert january.weighted == Decimal("900.00")  # 1000 × 10 % + 2000 × 40 %
    assert rows[("2031-02", "USD")].weighted == Decimal("50.00")
    assert result.currencies == ["CNY", "USD"]
    quarter = forecast(world.admin, period="quarter", start=START, end=date(2031, 12, 31))
    assert [(r.label, r.currency, r.weighted) for r in quarter.rows] == [
        ("2031 Q1", "CNY", Decimal("900.00")),
        ("2031 Q1", "USD", Decimal("50.00")),
    ]


def test_a_won_deal_counts_in_full_in_the_month_it_was_won(world):
    s = sales(world)
    found = opportunity(s.account, amount="300", expected_close=date(2099, 5, 1))
    services.opportunity_move(
        opportunity=found, version=1, to_stage=stage("won"), by=None, win_loss_reason="solution"
    )
    today = timezone.localdate().replace(day=1)
    result = forecast(world.admin, start=today, end=today + timedelta(days=40))
    assert [(r.won, r.weighted, r.amount) for r in result.rows] == [
        (Decimal("300.00"), Decimal("300.00"), Decimal("0.00"))
    ]


def test_the_forecast_per_department_and_team_follows_the_ar(world):
    s = sales(world)
    team = Team.objects.create(department=world.support, name="华东组")
    east = EmployeeFactory(department=world.support, team=team)
    opportunity(s.account, "财务的", amount="1000", expected_close=date(2031, 3, 3))
    opportunity(s.account, "支持的", amount="3000", expected_close=date(2031, 3, 3), ar=east)
    by_department = forecast(world.admin, group="department", start=START, end=date(2031, 12, 1))
    assert {(r.group_name, r.weighted) for r in by_department.rows} == {
        ("Finance", Decimal("100.00")),
        ("Support", Decimal("300.00")),
    }
    by_team = forecast(world.admin, group="team", start=START, end=date(2031, 12, 1))
    assert {(r.group_name, r.weighted) for r in by_team.rows} == {
        ("", Decimal("100.00")),
        ("华东组", Decimal("300.00")),
    }


def test_someone_off_the_pipeline_sees_only_their_deals_in_the_forecast(world):
    s = sales(world)
    opportunity(s.account, "别人的", amount="1000", expected_close=date(2031, 3, 3))
    opportunity(s.account, "我的", amount="2000", expected_close=date(2031, 3, 3), sr=s.colleague)
    mine = forecast(world.agent, start=START, end=date(2031, 12, 1))
    assert [r.amount for r in mine.rows] == [Decimal("2000.00")]
    assert forecast(world.customer_a, start=START, end=date(2031, 12, 1)).rows == []


def test_conversion_rates_and_days_in_stage(world):
    s = sales(world)
    moving = opportunity(s.account, "走得远")
    services.opportunity_move(opportunity=moving, version=1, to_stage=stage("solution"), by=None)
    services.opportunity_move(
        opportunity=moving, version=2, to_stage=stage("won"), by=None, win_loss_reason="price"
    )
    stuck = opportunity(s.account, "停住")
    services.opportunity_move(
        opportunity=stuck, version=1, to_stage=stage("lost"), by=None, win_loss_reason="budget"
    )
    figures = conversion(world.admin)
    by_code = {f.stage.code: f for f in figures.stages}
    assert (by_code["qualify"].entered, by_code["qualify"].advanced) == (2, 1)
    assert by_code["qualify"].rate == 50.0
    assert by_code["solution"].rate == 100.0
    assert by_code["qualify"].average_days == 0.0
    assert by_code["bid"].entered == 0 and by_code["bid"].rate is None
    assert (figures.won, figures.lost, figures.win_rate) == (1, 1, 50.0)
    assert figures.average_days_to_win == 0.0
