"""``kehu contracts verify``: quiet and 0 on an intact trail, names the row and exits 1 when a
decision was edited behind the application's back."""

from typer.testing import CliRunner

from kehu.cli import app
from kehu.contracts import approvals
from kehu.contracts.models import ApprovalDecision
from kehu.contracts.tests.factories import draft, setup


def test_verify_reports_an_edited_decision(world):
    s = setup(world)
    contract = draft(world, s)
    run = approvals.submit(contract=contract, by=world.account_manager, version=contract.version)
    approvals.decide(step_id=run.steps.get(name="财务").pk, by=s.finance, decision="approve")
    result = CliRunner().invoke(app, ["contracts", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 contracts, 1 decisions checked, 0 problems" in result.output
    ApprovalDecision.objects.update(decision="reject")
    result = CliRunner().invoke(app, ["contracts", "verify"])
    assert result.exit_code == 1
    assert (
        f"{contract.number} (id {contract.pk}) decision 1: its content was changed" in result.output
    )
