"""A won opportunity becomes one contract draft (SPEC §5), whatever happens after."""

from decimal import Decimal

from kehu.contracts.from_pipeline import draft_from_opportunity
from kehu.contracts.models import Contract, ContractType, Status
from kehu.pipeline import services as pipeline
from kehu.pipeline.tests.factories import opportunity, sales, stage


def _win(found, django_capture_on_commit_callbacks, by):
    with django_capture_on_commit_callbacks(execute=True):
        pipeline.opportunity_move(
            opportunity=found,
            version=found.version,
            to_stage=stage("won"),
            by=by,
            win_loss_reason="solution",
        )


def test_winning_a_deal_drafts_its_contract_once(world, django_capture_on_commit_callbacks):
    ContractType.objects.create(code="sales", name="销售合同", name_en="Sales")
    s = sales(world)
    found = opportunity(s.account, amount="250000.00", by=world.account_manager)
    _win(found, django_capture_on_commit_callbacks, world.account_manager)

    contract = Contract.objects.get(opportunity=found)
    assert contract.status == Status.DRAFT
    assert contract.account == s.account and contract.title == "仓储系统升级"
    assert contract.owner == world.account_manager  # the AR's user
    assert contract.net_total == Decimal("250000.00")
    assert contract.gross_total == Decimal("265000.00")  # 6 % VAT on services
    assert list(contract.lines.values_list("unit", flat=True)) == ["项"]

    # The signal heard twice (another worker, a retry): still the one draft.
    found.refresh_from_db()
    assert draft_from_opportunity(found) == contract
    assert Contract.objects.filter(opportunity=found).count() == 1


def test_a_foreign_currency_deal_is_drafted_without_lines_and_says_why(
    world, django_capture_on_commit_callbacks
):
    ContractType.objects.create(code="service", name="服务合同", name_en="Service")
    s = sales(world)
    found = opportunity(s.account, "Warehouse upgrade", currency="USD", by=world.account_manager)
    _win(found, django_capture_on_commit_callbacks, world.account_manager)

    contract = Contract.objects.get(opportunity=found)
    assert contract.currency == "CNY" and contract.lines.count() == 0
    assert "100000.00 USD" in contract.special_terms
    assert "exchange rate" in contract.special_terms


def test_without_a_contract_type_the_win_still_stands(world, django_capture_on_commit_callbacks):
    s = sales(world)
    found = opportunity(s.account, by=world.account_manager)
    _win(found, django_capture_on_commit_callbacks, world.account_manager)
    found.refresh_from_db()
    assert found.stage.code == "won"
    assert not Contract.objects.exists()
