from __future__ import annotations

import pytest

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, AccountLevel, Contact


@pytest.fixture
def account(db: None) -> Account:
    # No owner and no team: only admin, after-sales (edit) and auditors (read) see its dossier.
    return Account.objects.create(
        name="华东电商有限公司", name_en="East China Commerce", level=AccountLevel.KEY
    )


@pytest.fixture
def other_account(db: None) -> Account:
    return Account.objects.create(name="北方物流集团", name_en="Northern Logistics")


@pytest.fixture
def contact(account: Account) -> Contact:
    return Contact.objects.create(account=account, name="王经理", email="wang@example.com")


@pytest.fixture
def manager_employee(world):  # type: ignore[no-untyped-def]
    """The account manager persona's employee record (serves no account until told to)."""
    return EmployeeFactory(
        department=world.aftersales, user=world.account_manager, name="李客户经理"
    )
