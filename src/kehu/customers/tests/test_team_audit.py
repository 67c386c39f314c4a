"""Who joins and leaves an account's team is in the audit history."""

import pytest

from kehu.audit.models import AuditEntry
from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, AccountTeamMember

pytestmark = pytest.mark.django_db


def test_account_team_members_are_audited(world):
    account = Account.objects.create(name="甲公司")
    member = AccountTeamMember.objects.create(
        account=account, employee=EmployeeFactory(department=world.support), role="技术支持"
    )
    pk = member.pk
    member.delete()
    entries = AuditEntry.objects.filter(content_type__model="accountteammember", object_pk=str(pk))
    assert entries.count() == 2
