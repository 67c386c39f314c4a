"""The requirement compass: the customers behind a requirement, with what we know of them."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.conftest import client_for
from kehu.customers.models import Account, Contact
from kehu.desk import tickets as desk
from kehu.desk.models import Tag, Ticket, TicketLink
from kehu.desk.tests import factories as f
from kehu.dossier.models import DossierEntry, Section, Visit
from kehu.incidents.models import MajorIncident
from kehu.usage.models import Product, UsageRecord


def _requirement(world, account_name: str, *, level: str = "standard", **fields) -> Ticket:
    account = Account.objects.create(
        name=account_name, level=level, customer_since=date(2020, 1, 1)
    )
    contact = Contact.objects.create(account=account, name=f"{account_name}联系人")
    return f.ticket(
        world.support,
        contact_=contact,
        ticket_type=fields.pop("ticket_type", "new_requirement"),
        subject=fields.pop("subject", "支持按项目导出账单"),
        **fields,
    )


@pytest.fixture
def group(world):
    """A requirement raised by three customers: linked, duplicate and merged tickets."""
    root = _requirement(world, "蓝鲸科技", level="key")
    linked = _requirement(world, "青木物流", level="strategic")
    merged = _requirement(world, "白鹭传媒")
    unrelated = _requirement(world, "无关公司")
    TicketLink.objects.create(source=linked, target=root, kind=TicketLink.Kind.DUPLICATE)
    desk.merge(merged, root, actor=world.admin)
    product = Product.objects.create(code="cloud", name="云服务器", name_en="Cloud servers")
    yesterday = timezone.localdate() - timedelta(days=1)
    UsageRecord.objects.create(
        account=linked.account,
        product=product,
        day=yesterday,
        quantity=Decimal(40),
        spend=Decimal(300),
        total_spend=Decimal(1000),
    )
    DossierEntry.objects.create(
        account=linked.account,
        section=Section.ARCHITECTURE,
        title="混合云架构",
        body="主要使用我们的**云服务器**，CDN 用竞争对手的。",
    )
    Visit.objects.create(
        account=linked.account,
        kind=Visit.Kind.ROUTINE_MONTHLY,
        status=Visit.Status.DONE,
        planned_on=yesterday,
        visited_on=yesterday,
        purpose="月度回访",
    )
    incident = MajorIncident.objects.create(title="华东机房网络中断")
    incident.affected_accounts.add(linked.account)
    return {"root": root, "linked": linked, "merged": merged, "unrelated": unrelated}


def test_a_requirement_shows_every_customer_who_raised_it(world, group):
    page = client_for(world.after_sales).get(f"/compass/tickets/{group['root'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    # Strategic first, then key, then standard; the unrelated ticket's customer is absent.
    assert html.index("青木物流") < html.index("蓝鲸科技") < html.index("白鹭传媒")
    assert "无关公司" not in html
    assert "混合云架构" in html and "月度回访" in html and "华东机房网络中断" in html
    assert "30.0 % of their spend" in html


def test_dossier_facts_are_only_for_dossier_readers(world, group):
    html = client_for(world.agent).get(f"/compass/tickets/{group['root'].pk}/").content.decode()
    assert "青木物流" in html  # the customers themselves: an agent sees these tickets anyway
    assert "混合云架构" not in html and "月度回访" not in html
    assert "华东机房网络中断" in html  # incidents are open to all staff

    api = client_for(world.agent).get(f"/api/compass/tickets/{group['root'].pk}").json()
    by_name = {c["account"]: c for c in api["customers"]}
    assert by_name["青木物流"]["usage_30_days"] is None
    assert by_name["青木物流"]["architecture_note"] is None

    api = client_for(world.after_sales).get(f"/api/compass/tickets/{group['root'].pk}").json()
    by_name = {c["account"]: c for c in api["customers"]}
    assert Decimal(by_name["青木物流"]["usage_30_days"][0]["quantity"]) == 40
    assert by_name["青木物流"]["architecture_note"] == "混合云架构"


@pytest.mark.parametrize("persona", ["employee", "customer_a", "outsider"])
def test_only_desk_staff_open_the_compass(world, group, persona):
    client = client_for(getattr(world, persona))
    assert client.get(f"/compass/tickets/{group['root'].pk}/").status_code == 403
    assert client.get("/compass/").status_code == 403
    assert client.get(f"/api/compass/tickets/{group['root'].pk}").status_code == 403


def test_tag_groups_and_index(world, group):
    tag = Tag.objects.create(name="账单导出")
    for ticket in (group["root"], group["unrelated"]):
        ticket.tags.add(tag)
    client = client_for(world.lead)
    index = client.get("/compass/").content.decode()
    assert "账单导出" in index and group["root"].subject in index
    html = client.get(f"/compass/tags/{tag.name}/").content.decode()
    assert "蓝鲸科技" in html and "无关公司" in html and "青木物流" not in html
    assert client.get("/compass/tags/没有这个标签/").status_code == 404


def test_query_count_does_not_grow_with_customers(world, group, django_assert_max_num_queries):
    client = client_for(world.after_sales)
    url = f"/compass/tickets/{group['root'].pk}/"
    client.get(url)
    for i in range(6):
        other = _requirement(world, f"新客户{i}")
        TicketLink.objects.create(source=other, target=group["root"], kind="related")
    with django_assert_max_num_queries(24):
        html = client.get(url).content.decode()
    assert "新客户5" in html
