"""The pipeline demo: a year of deals in every stage, built again without duplicates."""

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account
from kehu.pipeline.demo import build_pipeline_demo
from kehu.pipeline.models import Lead, LeadStatus, Opportunity, StageMove


def test_the_demo_covers_every_stage_and_is_idempotent(world):
    owners = [EmployeeFactory(department=world.finance) for _ in range(4)]
    for n in range(30):
        Account.objects.create(name=f"演示客户{n}", owner=owners[n % 4])
    first = build_pipeline_demo()
    assert first == {"opportunities": 60 + 4, "leads": 24}  # four leads converted
    codes = set(Opportunity.objects.values_list("stage__code", flat=True))
    assert {"qualify", "won", "lost"} <= codes and len(codes) >= 5
    assert set(Lead.objects.values_list("status", flat=True)) == set(LeadStatus.values)
    moves = StageMove.objects.count()
    assert build_pipeline_demo() == first
    assert StageMove.objects.count() == moves
