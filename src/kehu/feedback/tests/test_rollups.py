"""Roll-ups of scores per agent, department and internal service over a date range."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.conftest import EmployeeFactory, ServiceFactory, client_for
from kehu.feedback import selectors
from kehu.feedback.tests.factories import rated

pytestmark = pytest.mark.django_db


@pytest.fixture
def scores(world):
    alice = EmployeeFactory(department=world.support, name="艾丽", name_en="Alice")
    bob = EmployeeFactory(department=world.finance, name="鲍勃", name_en="Bob")
    service = ServiceFactory(department=world.finance, name="报销", name_en="Expenses")
    requester = EmployeeFactory(department=world.support, email="req@example.com")
    old = timezone.now() - timedelta(days=40)
    for score in (5, 4, 1):
        rated(world.support, score=score, assignee=alice)
    for score in (2, 2):
        rated(world.finance, score=score, assignee=bob, employee=requester, service=service)
    rated(world.support, score=1, assignee=alice, now=old)  # outside a 30-day range
    return {"alice": alice, "bob": bob, "service": service, "old": old}


def _by_id(rows):
    return {row.id: row for row in rows}


def test_rollup_per_agent_department_and_service(world, scores):
    start = (timezone.now() - timedelta(days=30)).date()
    agents = _by_id(selectors.rating_rollup(by="agent", start=start))
    alice, bob = agents[scores["alice"].pk], agents[scores["bob"].pk]
    assert (alice.count, alice.average, alice.low_share) == (3, 3.33, 0.3333)
    assert (bob.count, bob.average, bob.low_share) == (2, 2.0, 1.0)
    assert alice.name == "Alice"

    departments = _by_id(selectors.rating_rollup(by="department", start=start))
    assert departments[world.support.pk].count == 3
    assert departments[world.finance.pk].average == 2.0

    services = selectors.rating_rollup(by="service", start=start)
    assert [(r.id, r.count, r.low_share) for r in services] == [(scores["service"].pk, 2, 1.0)]

    everything = _by_id(selectors.rating_rollup(by="agent"))
    assert everything[scores["alice"].pk].count == 4
    total = selectors.rating_total(start=start)
    assert (total.count, total.average, total.low_share) == (5, 2.8, 0.6)


def test_range_end_is_inclusive_and_empty_ranges_are_empty(world, scores):
    old_day = timezone.localtime(scores["old"]).date()
    only_old = selectors.rating_total(start=old_day, end=old_day)
    assert (only_old.count, only_old.average) == (1, 1.0)
    nothing = selectors.rating_total(end=old_day - timedelta(days=1))
    assert (nothing.count, nothing.average, nothing.low_share) == (0, None, 0.0)


def test_ratings_page_in_fixed_queries(world, scores, django_assert_max_num_queries):
    client = client_for(world.auditor)
    with django_assert_max_num_queries(8):
        page = client.get("/feedback/ratings/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Alice" in body and "Expenses" in body
    bad = client.get("/feedback/ratings/?start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 200 and "must not end before it starts" in bad.content.decode()


def test_rollup_api(world, scores):
    client = client_for(world.agent)
    response = client.get("/api/feedback/ratings/rollup", {"by": "service"})
    assert response.status_code == 200
    data = response.json()
    assert data["rows"] == [
        {
            "id": scores["service"].pk,
            "name": "Expenses",
            "count": 2,
            "average": 2.0,
            "low_share": 1.0,
        }
    ]
    assert data["total"]["count"] == 6
    assert client.get("/api/feedback/ratings/rollup", {"by": "planet"}).status_code == 422
    reversed_range = client.get(
        "/api/feedback/ratings/rollup", {"start": "2026-02-01", "end": "2026-01-01"}
    )
    assert reversed_range.status_code == 422 and reversed_range.json()["code"] == "invalid"
    assert client_for(world.customer_a).get("/api/feedback/ratings/rollup").status_code == 403
