from datetime import date
from decimal import Decimal

import pytest

from kehu.audit.models import AuditEntry
from kehu.conftest import EmployeeFactory, client_for
from kehu.customers.merge import account_merge
from kehu.customers.models import Account, AccountTeamMember, Ownership, TimelineEntry
from kehu.customers.tests.factories import account, contact, entry
from kehu.desk.models import Ticket
from kehu.desk.tests import factories as desk
from kehu.incidents.models import MajorIncident
from kehu.usage.models import Product, UsageRecord


@pytest.fixture
def pair(world):
    survivor = account("杭州蓝鲸科技有限公司", name_en="", region="浙江")
    merged = account("杭州蓝鲸科技", name_en="Blue Whale", industry="互联网")
    return survivor, merged


def test_merge_moves_everything_and_deletes_the_other(world, pair):
    survivor, merged = pair
    person = contact(merged, "林蓝", phone="13957170001")
    ticket = desk.ticket(world.support, contact_=person)
    assert ticket.account_id == merged.pk
    entry(merged, 1)
    incident = MajorIncident.objects.create(title="断网")
    incident.affected_accounts.add(merged)
    child = account("蓝鲸子公司", parent=merged)
    result = account_merge(survivor=survivor, merged=merged, actor=world.admin)

    assert not Account.objects.filter(pk=merged.pk).exists()
    assert Ticket.objects.get(pk=ticket.pk).account_id == survivor.pk
    person.refresh_from_db()
    assert person.account_id == survivor.pk
    assert list(incident.affected_accounts.all()) == [survivor]
    assert Account.objects.get(pk=child.pk).parent_id == survivor.pk
    survivor.refresh_from_db()
    assert survivor.name_en == "Blue Whale" and survivor.region == "浙江"  # blanks filled
    assert survivor.industry == "互联网"
    kinds = set(TimelineEntry.objects.filter(account=survivor).values_list("kind", flat=True))
    assert {"ticket", "merge"} <= kinds
    assert result.moved["desk.Ticket"] == 1 and result.moved["customers.Contact"] == 1
    line = TimelineEntry.objects.get(account=survivor, kind="merge")
    assert "杭州蓝鲸科技" in line.title and "tickets: 1" in line.summary_en
    audit = AuditEntry.objects.filter(object_pk=str(survivor.pk), changes__has_key="merged")
    assert audit.count() == 1


def test_conflicts_keep_the_survivors_rows(world, pair):
    survivor, merged = pair
    engineer = EmployeeFactory(department=world.aftersales)
    AccountTeamMember.objects.create(account=survivor, employee=engineer, role="主")
    AccountTeamMember.objects.create(account=merged, employee=engineer, role="副")
    product = Product.objects.create(code="cdn", name="CDN")
    day = date(2026, 1, 5)
    UsageRecord.objects.create(account=survivor, product=product, day=day, quantity=Decimal(1))
    UsageRecord.objects.create(account=merged, product=product, day=day, quantity=Decimal(9))
    UsageRecord.objects.create(
        account=merged, product=product, day=date(2026, 1, 6), quantity=Decimal(3)
    )
    owner = EmployeeFactory(department=world.aftersales)
    Ownership.objects.create(account=merged, owner=owner, started_at="2024-01-01T00:00:00Z")

    result = account_merge(survivor=survivor, merged=merged)

    seat = AccountTeamMember.objects.get(account=survivor, employee=engineer)
    assert seat.role == "主"
    usage = dict(UsageRecord.objects.filter(account=survivor).values_list("day", "quantity"))
    assert usage == {day: Decimal(1), date(2026, 1, 6): Decimal(3)}
    assert sum(result.dropped.values()) == 2
    moved_ownership = Ownership.objects.get(account=survivor, owner=owner)
    assert moved_ownership.ended_at is not None  # the merged account's owner no longer holds it


def test_merge_page_is_for_keepers(world, pair):
    survivor, merged = pair
    url = f"/customers/accounts/{survivor.pk}/merge/"
    data = {"other": merged.pk, "survivor": "this", "confirm": "on"}
    assert client_for(world.agent).post(url, data).status_code == 403
    assert client_for(world.customer_a).post(url, data).status_code == 404
    assert Account.objects.filter(pk=merged.pk).exists()
    page = client_for(world.after_sales).get(url)
    assert page.status_code == 200 and "杭州蓝鲸科技" in page.content.decode()
    response = client_for(world.after_sales).post(url, data)
    assert response.status_code == 302
    assert not Account.objects.filter(pk=merged.pk).exists()


def test_merged_account_may_survive(world, pair):
    survivor, merged = pair
    response = client_for(world.account_manager).post(
        f"/customers/accounts/{merged.pk}/merge/",
        {"other": survivor.pk, "survivor": "other", "confirm": "on"},
    )
    assert response.status_code == 302
    assert not Account.objects.filter(pk=merged.pk).exists()
    assert Account.objects.filter(pk=survivor.pk).exists()
