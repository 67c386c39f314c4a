"""The demo builder on a small world: every class, kind and status, idempotent."""

import pytest

from kehu.churn.demo import build_churn_demo
from kehu.churn.models import ChurnFollowUp, ChurnReview
from kehu.churn.tests import factories as f
from kehu.customers.models import TimelineEntry

pytestmark = pytest.mark.django_db


def test_nothing_happens_without_accounts(world):
    assert build_churn_demo() == {"reviews": 0, "follow_ups": 0}


def test_demo_covers_the_classes_and_is_idempotent(world):
    owner = f.owner(world.support, name="王芳")
    accounts = [f.account(f"演示公司{n}", owner=owner) for n in range(7)]
    ticket = f.ticket_of(accounts[2], world.support)

    first = build_churn_demo()
    second = build_churn_demo()
    assert first == second == {"reviews": 6, "follow_ups": 5}
    assert ChurnReview.objects.count() == 6
    assert ChurnFollowUp.objects.count() == 5

    reviews = list(ChurnReview.objects.order_by("account_id"))
    assert {r.attribution for r in reviews} == {
        "business_ended",
        "commercial",
        "service_capability",
        "",
    }
    assert {r.kind for r in reviews} == {"lost", "shrinking"}
    assert {r.status for r in reviews} == {"open", "reviewed", "closed"}
    assert all(r.owner_at_review == owner and r.department == world.support for r in reviews)

    service = ChurnReview.objects.get(account=accounts[2])
    assert service.status == "reviewed"
    assert list(service.tickets.all()) == [ticket]
    assert "客户技术团队要求更换供应商" in service.evidence
    # Without a ticket or incident behind it, the other service-capability review stays open.
    assert ChurnReview.objects.get(account=accounts[5]).status == "open"

    assert sum(fu.overdue for fu in ChurnFollowUp.objects.all()) == 1
    assert all(not fu.done_at for fu in ChurnFollowUp.objects.filter(review__status="reviewed"))
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CHURN, restricted=True).count() == 6
    assert ChurnReview.objects.get(account=accounts[0]).status_changes.count() == 3
