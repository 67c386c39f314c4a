from __future__ import annotations

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account
from kehu.handover.demo import build_handover_demo
from kehu.handover.models import Handover


def test_demo_builds_one_open_handover_once(world):
    assert build_handover_demo() == {"handover": None, "items": 0}  # no lead employee: nothing
    lead = EmployeeFactory(department=world.aftersales, user=world.lead, employee_no="A0")
    leaving = EmployeeFactory(department=world.aftersales, employee_no="A1")
    for n in range(5):
        Account.objects.create(name=f"客户{n}", owner=leaving)
    first = build_handover_demo()
    assert first["items"] == 4
    handover = Handover.objects.get()
    assert handover.status == "open" and handover.from_employee == leaving
    statuses = list(handover.items.order_by("id").values_list("status", flat=True))
    assert statuses == ["done", "in_progress", "pending", "pending"]
    assert Account.objects.filter(owner=lead).count() == 4
    assert build_handover_demo() == first
    assert Handover.objects.count() == 1
