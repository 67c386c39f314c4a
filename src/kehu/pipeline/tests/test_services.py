"""The pipeline's rules, as services enforce them for the pages, the API and the importer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account, TimelineEntry
from kehu.pipeline import services
from kehu.pipeline.models import LeadStatus, StageMove
from kehu.pipeline.signals import opportunity_won
from kehu.pipeline.tests.factories import opportunity, sales, stage
from kehu.relations.tests.factories import person


def test_a_new_opportunity_starts_on_the_first_stage_with_the_owner_as_ar(world):
    s = sales(world)
    found = opportunity(s.account, by=world.account_manager)
    assert found.stage.code == "qualify"
    assert found.ar == s.owner
    assert found.probability == 10
    assert found.weighted_amount == Decimal("10000.00")
    move = StageMove.objects.get(opportunity=found)
    assert move.from_stage is None and move.moved_by == world.account_manager
    line = TimelineEntry.objects.get(account=s.account)
    assert line.kind == "opportunity" and line.restricted


def test_a_move_writes_history_the_time_spent_and_a_timeline_line(world):
    s = sales(world)
    found = opportunity(s.account)
    services.opportunity_move(
        opportunity=found, version=found.version, to_stage=stage("solution"), by=world.admin
    )
    found.refresh_from_db()
    assert found.stage.code == "solution" and found.version == 2
    first, second = StageMove.objects.filter(opportunity=found)
    assert first.left_at == second.moved_at
    assert second.from_stage.code == "qualify" and second.to_stage.code == "solution"
    titles = set(TimelineEntry.objects.filter(account=s.account).values_list("title_en", flat=True))
    assert any("Qualify → Solution" in t for t in titles)
    assert any("验证 → 方案" in t for t in TimelineEntry.objects.values_list("title", flat=True))


@pytest.mark.parametrize(
    "setup,target",
    [
        ("same", "qualify"),
        ("won", "negotiation"),
        ("lost", "won"),
    ],
)
def test_moves_that_make_no_sense_are_refused_and_change_nothing(world, setup, target):
    found = opportunity(sales(world).account)
    if setup != "same":
        services.opportunity_move(
            opportunity=found,
            version=found.version,
            to_stage=stage(setup),
            by=None,
            win_loss_reason="price",
        )
        found.refresh_from_db()
    moves = StageMove.objects.count()
    with pytest.raises(services.MoveRefused):
        services.opportunity_move(
            opportunity=found,
            version=found.version,
            to_stage=stage(target),
            by=None,
            win_loss_reason="price",
        )
    assert StageMove.objects.count() == moves


def test_a_lost_opportunity_may_be_reopened(world):
    found = opportunity(sales(world).account)
    services.opportunity_move(
        opportunity=found, version=1, to_stage=stage("lost"), by=None, win_loss_reason="budget"
    )
    services.opportunity_move(opportunity=found, version=2, to_stage=stage("bid"), by=None)
    found.refresh_from_db()
    assert found.stage.code == "bid" and found.closed_at is None and found.win_loss_reason == ""


def test_won_and_lost_need_the_reason(world):
    found = opportunity(sales(world).account)
    with pytest.raises(ValidationError) as caught:
        services.opportunity_move(opportunity=found, version=1, to_stage=stage("won"), by=None)
    assert "win_loss_reason" in caught.value.message_dict
    found.refresh_from_db()
    assert found.stage.code == "qualify" and found.version == 1


def test_a_stale_version_is_refused(world):
    found = opportunity(sales(world).account)
    services.opportunity_update(opportunity=found, version=1, name="改名")
    with pytest.raises(StaleVersionError):
        services.opportunity_move(opportunity=found, version=1, to_stage=stage("bid"), by=None)
    with pytest.raises(StaleVersionError):
        services.opportunity_update(opportunity=found, version=1, amount=Decimal(5))


def test_won_sends_the_signal_once_after_commit(world, django_capture_on_commit_callbacks):
    found = opportunity(sales(world).account)
    heard = []

    def receiver(sender, opportunity, **kwargs):
        heard.append(opportunity)

    opportunity_won.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.opportunity_move(
                opportunity=found,
                version=1,
                to_stage=stage("won"),
                by=None,
                win_loss_reason="solution",
            )
            assert heard == []  # not before the commit
    finally:
        opportunity_won.disconnect(receiver)
    assert [o.pk for o in heard] == [found.pk]
    assert heard[0].stage.code == "won" and heard[0].probability == 100


def test_a_probability_override_needs_a_reason_and_lasts_until_the_next_move(world):
    found = opportunity(sales(world).account)
    with pytest.raises(ValidationError) as caught:
        services.opportunity_update(opportunity=found, version=1, probability_override=50)
    assert "probability_reason" in caught.value.message_dict
    saved = services.opportunity_update(
        opportunity=found, version=1, probability_override=50, probability_reason="客户已立项"
    )
    assert saved.probability == 50
    services.opportunity_move(opportunity=saved, version=2, to_stage=stage("solution"), by=None)
    saved.refresh_from_db()
    assert saved.probability_override is None and saved.probability == 40


@pytest.mark.parametrize(
    "field,value",
    [("currency", "XYZ"), ("amount", "-1"), ("amount", "1.234")],
)
def test_bad_money_is_refused(world, field, value):
    account = sales(world).account
    with pytest.raises(ValidationError) as caught:
        if field == "currency":
            opportunity(account, currency=value)
        else:
            opportunity(account, amount=value)
    assert field in caught.value.message_dict


def test_a_lowercase_currency_is_read_as_its_code(world):
    assert opportunity(sales(world).account, currency="usd").currency == "USD"


def test_a_lead_names_an_account_or_a_prospect(world):
    with pytest.raises(ValidationError):
        services.lead_create(title="线索", source="website")


def test_converting_a_prospect_opens_its_account_and_the_opportunity_once(world):
    s = sales(world)
    lead = services.lead_create(
        title="新客户咨询", source="event", prospect_name="西部矿业集团", owner=s.owner
    )
    found = services.lead_convert(
        lead=lead,
        version=1,
        by=world.account_manager,
        amount=Decimal("500000"),
        expected_close=lead.created_at.date() + timedelta(days=60),
    )
    account = Account.objects.get(name="西部矿业集团")
    assert found.account == account and account.owner == s.owner and found.ar == s.owner
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.opportunity == found
    with pytest.raises(services.MoveRefused):
        services.lead_convert(
            lead=lead,
            version=lead.version,
            by=None,
            amount=Decimal(1),
            expected_close=found.expected_close,
        )
    with pytest.raises(services.MoveRefused):
        services.lead_update(lead=lead, version=lead.version, status=LeadStatus.NEW)


def test_buying_roles_are_for_people_of_the_same_account(world):
    s = sales(world)
    found = opportunity(s.account)
    mine = person(s.account, "王总")
    role = services.role_set(
        opportunity=found, person=mine, role="decision_maker", stance="supporter"
    )
    assert role.get_role_display() == "Decision maker"
    other = person(Account.objects.create(name="别家"), "李总")
    with pytest.raises(ValidationError):
        services.role_set(opportunity=found, person=other, role="user")
    with pytest.raises(ValidationError):
        services.role_set(opportunity=found, person=mine, role="boss")


def test_a_competitor_is_named_once(world):
    found = opportunity(sales(world).account)
    services.competitor_add(opportunity=found, name="友商A")
    with pytest.raises(ValidationError):
        services.competitor_add(opportunity=found, name="友商A")


def test_a_won_opportunity_is_not_deleted(world):
    found = opportunity(sales(world).account)
    services.opportunity_move(
        opportunity=found, version=1, to_stage=stage("won"), by=None, win_loss_reason="price"
    )
    found.refresh_from_db()
    with pytest.raises(services.MoveRefused):
        services.opportunity_delete(opportunity=found)


def test_deleting_an_opportunity_removes_its_timeline_lines(world):
    s = sales(world)
    found = opportunity(s.account)
    services.opportunity_delete(opportunity=found)
    assert not TimelineEntry.objects.filter(account=s.account).exists()


def test_the_last_open_stage_and_stages_in_use_stay(world):
    found = opportunity(sales(world).account)
    qualify = stage("qualify")
    with pytest.raises(services.MoveRefused):
        services.stage_update(stage=qualify, version=qualify.version, is_active=False)
    services.opportunity_delete(opportunity=found)
    saved = services.stage_update(stage=qualify, version=qualify.version, is_active=False)
    assert not saved.is_active


def test_a_new_opportunity_takes_the_accounts_iron_triangle(world):
    from kehu.conftest import EmployeeFactory
    from kehu.relations.team import triangle_set

    s = sales(world)
    fr = EmployeeFactory(department=world.support)
    member = EmployeeFactory(department=world.finance)
    triangle_set(
        account=s.account,
        account_manager=s.owner,
        solution_manager=s.colleague,
        fulfilment_manager=fr,
        members=[member],
        by=None,
    )
    found = opportunity(s.account)
    assert (found.ar, found.sr, found.fr) == (s.owner, s.colleague, fr)
    assert list(found.members.all()) == [member]
    chosen = opportunity(s.account, "另选", sr=fr, member_ids=[s.colleague.pk])
    assert chosen.sr == fr and list(chosen.members.all()) == [s.colleague]
