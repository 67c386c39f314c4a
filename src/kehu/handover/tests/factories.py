"""Objects for the permission matrix: a handover from a finance employee (outside the
after-sales lead's departments) whose accounts went to someone without a user."""

from __future__ import annotations

from typing import Any

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account
from kehu.handover import services


def matrix_objects(world: Any) -> dict[str, int]:
    leaving = EmployeeFactory(department=world.finance)
    taker = EmployeeFactory(department=world.finance)
    account = Account.objects.create(name="移交客户", owner=leaving)
    handover = services.handover_start(
        from_employee=leaving, assignments={account: taker}, reason="leaving", by=world.admin
    )
    return {"handover": handover.pk, "handover_item": handover.items.get().pk}
