from __future__ import annotations

from dataclasses import dataclass

import pytest

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, Ownership
from kehu.customers.services import account_change_owner
from kehu.org.models import Employee


@dataclass
class Setup:
    leaving: Employee  # in support (below after-sales, so the lead's scope)
    taker: Employee  # the new owner, linked to the account_manager user
    other: Employee  # another possible owner, no user
    accounts: list[Account]
    kept: Account  # owned by someone else


@pytest.fixture
def setup(world) -> Setup:
    from kehu.access.models import User

    leaving_user = User.objects.create_user(username="leaving", email="leaving@example.com")
    leaving = EmployeeFactory(
        department=world.support, user=leaving_user, name="离职工程师", name_en=""
    )
    taker = EmployeeFactory(
        department=world.aftersales, user=world.account_manager, name="接手人", name_en=""
    )
    other = EmployeeFactory(department=world.finance, name="另一人", name_en="")
    accounts = []
    for name in ("甲公司", "乙公司", "丙公司"):
        account = Account.objects.create(name=name)
        account_change_owner(account=account, owner=leaving, reason="initial")
        accounts.append(account)
    kept = Account.objects.create(name="丁公司")
    account_change_owner(account=kept, owner=other)
    assert Ownership.objects.count() == 4
    return Setup(leaving=leaving, taker=taker, other=other, accounts=accounts, kept=kept)
