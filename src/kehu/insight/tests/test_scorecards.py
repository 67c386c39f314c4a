"""Internal service scorecards and the department matrix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.conftest import EmployeeFactory, client_for
from kehu.desk import tickets
from kehu.desk.models import Status
from kehu.desk.tests import factories as f
from kehu.feedback.tests.factories import resolve
from kehu.insight import scorecards

pytestmark = pytest.mark.django_db


def _window():
    today = timezone.localdate()
    return today - timedelta(days=30), today + timedelta(days=1)


def test_a_department_is_scored_as_supplier_and_as_customer(world):
    asker = EmployeeFactory(department=world.finance, email="fin@example.com")
    clear = f.ticket(world.support, employee=asker)
    unclear = f.ticket(world.support, employee=asker)
    tickets.change_status(unclear, Status.WAITING_CUSTOMER, actor=world.agent)
    tickets.change_status(unclear, Status.OPEN, actor=world.agent)
    resolve(clear)
    cards = {c.department.pk: c for c in scorecards.scorecards(*_window())}
    support, finance = cards[world.support.pk], cards[world.finance.pk]
    assert support.supplier.requests == 2 and support.customer.requests == 0
    assert finance.customer.requests == 2 and finance.customer.clear_pct == 50.0
    assert finance.customer.waiting_hours_median is not None
    found = scorecards.matrix(*_window())
    assert found.cells[(world.support.pk, world.finance.pk)]["requests"] == 2


def test_who_sees_which_scorecard(world):
    asker = EmployeeFactory(department=world.finance)
    f.ticket(world.support, employee=asker)
    lead = client_for(world.lead).get("/insight/scorecards/")
    assert lead.status_code == 200 and b"Support" in lead.content and b"Finance" not in lead.content
    assert client_for(world.lead).get("/insight/scorecards/matrix/").status_code == 200
    assert client_for(world.agent).get("/insight/scorecards/matrix/").status_code == 403
    assert client_for(world.customer_a).get("/insight/scorecards/").status_code == 403
    api = client_for(world.admin).get("/api/insight/scorecards?days=30").json()
    assert {row["name_en"] for row in api} == {"Support", "Finance"}
    matrix = client_for(world.admin).get("/api/insight/scorecards/matrix").json()
    assert matrix["cells"][0]["requests"] == 1
    export = client_for(world.admin).get("/insight/scorecards/matrix/?format=xlsx")
    assert export["Content-Type"].startswith("application/vnd")
