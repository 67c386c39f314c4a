"""Builders for relationship tests: an account served by a team, people on its map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kehu.conftest import EmployeeFactory, World
from kehu.customers.models import Account, AccountTeamMember, Contact
from kehu.org.models import Employee
from kehu.relations import services
from kehu.relations.models import Person


@dataclass
class Served:
    account: Account
    owner: Employee  # the account_manager persona
    member: Employee  # the agent persona, in support (led by the lead persona)


def served_account(world: World, name: str = "华东物流有限公司") -> Served:
    """An account owned by the account manager, with the agent on its team."""
    owner = EmployeeFactory(department=world.finance, user=world.account_manager)
    member = EmployeeFactory(department=world.support, user=world.agent)
    account = Account.objects.create(name=name, owner=owner)
    AccountTeamMember.objects.create(account=account, employee=member, role="SR")
    return Served(account, owner, member)


def person(account: Account, name: str = "王总", **fields: Any) -> Person:
    contact = Contact.objects.create(account=account, name=name)
    return services.person_create(account=account, contact=contact, **fields)


def matrix_objects(world: World) -> dict[str, int]:
    """Objects for the permission matrix: an account nobody of the personas serves."""
    account = Account.objects.create(name="关系测试公司")
    return {"relations_account": account.pk, "relations_person": person(account).pk}
