"""The contracts demo: 220 contracts in every status, intact approval trails, repeatable."""

from kehu.contracts import chain
from kehu.contracts.demo import PREFIX, build_contracts_demo
from kehu.contracts.models import ChangeOrder, Contract, Status


def test_demo_covers_every_status_and_is_repeatable(db):
    assert build_contracts_demo() == {"contracts": 220}
    first = set(Contract.objects.values_list("status", flat=True))
    assert first == set(Status.values)
    assert build_contracts_demo() == {"contracts": 220}
    assert Contract.objects.filter(number__startswith=PREFIX).count() == 220
    assert ChangeOrder.objects.filter(status="applied").count() == 8
    contracts, decisions, problems = chain.verify()
    assert contracts == 220 and decisions > 200 and problems == []
    assert Contract.objects.filter(
        status="in_approval", approval_runs__steps__status="pending"
    ).exists()
