"""The account pages: list, account page with panels and timeline, edit forms, custom fields."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.conftest import EmployeeFactory, client_for
from kehu.customers import panels
from kehu.customers.models import Account, AccountTeamMember, Contact, CustomField
from kehu.customers.tests.factories import account, contact, entry


@pytest.fixture(autouse=True)
def only_test_panel(monkeypatch):
    """Other apps' panels are tested by those apps; here one known panel stands for them."""
    monkeypatch.setattr(panels, "_panels", {})
    panels.register(
        panels.Panel(
            key="probe",
            order=10,
            template="customers/_account_rows.html",
            context=lambda request, acc: {"accounts": [acc], "page": None},
        )
    )


def test_list_search_filters_and_query_count(world, django_assert_max_num_queries):
    owner = EmployeeFactory(department=world.aftersales)
    whale = account("北京蓝鲸科技有限公司", name_en="Blue Whale", level="key", owner=owner)
    contact(whale, email="ZW@whale.cn", phone="138-0000-0000")
    account("上海星河网络有限公司", region="上海")
    client = client_for(world.agent)
    client.get(reverse("customers:account-list"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("customers:account-list")).status_code == 200
    for i in range(20):
        acc = account(f"广州{i}号有限公司", owner=owner)
        acc.tags.create(name=f"标签{i}")
        contact(acc)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("customers:account-list")).status_code == 200

    def names(**query):
        html = client.get(reverse("customers:account-list"), query).content.decode()
        return [n for n in ("北京蓝鲸科技有限公司", "上海星河网络有限公司") if n in html]

    assert names(q="bjljkj") == ["北京蓝鲸科技有限公司"]
    assert names(q="blue whale") == ["北京蓝鲸科技有限公司"]
    assert names(q="zw@WHALE.cn") == ["北京蓝鲸科技有限公司"]
    assert names(q="+86 13800000000") == ["北京蓝鲸科技有限公司"]
    assert names(level="key") == ["北京蓝鲸科技有限公司"]
    assert names(region="上海") == ["上海星河网络有限公司"]
    assert names(owner=owner.pk) == ["北京蓝鲸科技有限公司"]
    page2 = client.get(reverse("customers:account-list"), {"sort": "-credit_limit", "page": 2})
    assert page2.status_code == 200


def test_portal_user_gets_404_even_for_their_own_account(world):
    own = account("甲公司")
    person = contact(own)
    person.user = world.customer_a
    person.save()
    client = client_for(world.customer_a)
    assert client.get(reverse("customers:account-detail", args=[own.pk])).status_code == 404
    assert client.get(reverse("customers:account-list")).status_code == 404


def test_account_page_shows_facts_panels_and_hides_restricted_lines(world):
    CustomField.objects.create(code="contract_no", label="合同编号", label_en="Contract no.")
    acc = account(
        "北京蓝鲸科技有限公司", customer_since="2020-01-01", custom_fields={"contract_no": "HT-9"}
    )
    entry(acc, 1, restricted=False)
    entry(acc, 2, restricted=True, kind="dossier")
    agent_html = client_for(world.agent).get(reverse("customers:account-detail", args=[acc.pk]))
    html = agent_html.content.decode()
    assert agent_html.status_code == 200
    assert "HT-9" in html and "合同编号" in html
    assert 'data-panel="probe"' in html
    assert "事件 1" in html and "事件 2" not in html
    sales_html = client_for(world.after_sales).get(
        reverse("customers:account-detail", args=[acc.pk])
    )
    assert "事件 2" in sales_html.content.decode()
    filtered = client_for(world.after_sales).get(
        reverse("customers:account-detail", args=[acc.pk]), {"kind": "dossier"}
    )
    assert "事件 2" in filtered.content.decode() and "事件 1" not in filtered.content.decode()


def test_timeline_pages_by_keyset(world, django_assert_max_num_queries):
    acc = account()
    for n in range(120):
        entry(acc, n)
    client = client_for(world.after_sales)
    html = client.get(reverse("customers:account-detail", args=[acc.pk])).content.decode()
    assert html.count('data-testid="timeline-entry"') == 50
    older = html.split('data-testid="timeline-older"')[0].rsplit('href="', 1)[1].split('"')[0]
    older = older.replace("&amp;", "&")
    with django_assert_max_num_queries(8):
        page = client.get(older, HTTP_HX_REQUEST="true").content.decode()
    assert page.count('data-testid="timeline-entry"') == 50
    assert "事件 50<" in page or "事件 50\n" in page


def test_account_page_query_count_does_not_grow(world, django_assert_max_num_queries):
    acc = account()
    client = client_for(world.after_sales)
    url = reverse("customers:account-detail", args=[acc.pk])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for i in range(10):
        contact(acc, f"联系人{i}")
        AccountTeamMember.objects.create(
            account=acc, employee=EmployeeFactory(department=world.aftersales)
        )
        account(f"子公司{i}", parent=acc)
    for n in range(80):
        entry(acc, n, restricted=n % 2 == 0)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_create_lists_duplicates_and_needs_create_anyway(world):
    account("北京蓝鲸科技有限公司")
    owner = EmployeeFactory(department=world.aftersales)
    client = client_for(world.account_manager)
    data = {
        "kind": "company",
        "name": "北京蓝鲸科技",
        "level": "standard",
        "credit_limit": "0",
        "credit_currency": "CNY",
        "is_active": "on",
        "owner": owner.pk,
        "tags_text": "重点保障，出海",
    }
    refused = client.post(reverse("customers:account-create"), data)
    assert refused.status_code == 200
    assert 'data-testid="duplicate-candidates"' in refused.content.decode()
    assert Account.objects.count() == 1
    created = client.post(reverse("customers:account-create"), {**data, "allow_duplicate": "on"})
    assert created.status_code == 302
    new = Account.objects.get(name="北京蓝鲸科技")
    assert new.owner == owner and new.tags.count() == 2


def test_edit_owner_change_and_stale_version(world):
    acc = account("甲公司")
    owner = EmployeeFactory(department=world.aftersales)
    client = client_for(world.after_sales)
    url = reverse("customers:account-edit", args=[acc.pk])
    data = {
        "kind": "company",
        "name": "甲公司",
        "level": "key",
        "credit_limit": "100",
        "credit_currency": "CNY",
        "is_active": "on",
        "owner": owner.pk,
        "owner_reason": "接手",
        "version": 1,
    }
    assert client.post(url, data).status_code == 302
    acc.refresh_from_db()
    assert acc.owner == owner and acc.level == "key" and acc.ownerships.get().reason == "接手"
    stale = client.post(url, {**data, "level": "standard"})
    assert stale.status_code == 409
    assert Account.objects.get(pk=acc.pk).level == "key"
    assert client_for(world.agent).get(url).status_code == 403


def test_custom_field_values_are_validated_on_the_form(world):
    CustomField.objects.create(
        code="credit_rating", label="信用评级", kind="choice", choices=["AAA"], required=True
    )
    acc = account("甲公司")
    url = reverse("customers:account-edit", args=[acc.pk])
    data = {
        "kind": "company",
        "name": "甲公司",
        "level": "standard",
        "credit_limit": "0",
        "credit_currency": "CNY",
        "version": 1,
    }
    page = client_for(world.after_sales).post(url, data)
    assert page.status_code == 200 and "信用评级" in page.content.decode()
    assert (
        client_for(world.after_sales).post(url, {**data, "cf_credit_rating": "AAA"}).status_code
        == 302
    )
    assert Account.objects.get(pk=acc.pk).custom_fields == {"credit_rating": "AAA"}


def test_contacts_and_team(world):
    acc = account()
    client = client_for(world.account_manager)
    created = client.post(
        reverse("customers:contact-create", args=[acc.pk]),
        {
            "name": "李娜",
            "email": "ln@x.cn",
            "phone": "+86 138 0000 0001",
            "language": "zh-hans",
            "preferred_channel": "phone",
            "is_active": "on",
        },
    )
    assert created.status_code == 302
    person = Contact.objects.get()
    assert person.phone_key == "+8613800000001"
    edit = client.post(
        reverse("customers:contact-edit", args=[person.pk]),
        {
            "name": "李娜",
            "role": "CTO",
            "language": "en",
            "preferred_channel": "email",
            "is_active": "on",
            "version": 1,
        },
    )
    assert edit.status_code == 302 and Contact.objects.get().role == "CTO"
    engineer = EmployeeFactory(department=world.aftersales)
    client.post(
        reverse("customers:team-add", args=[acc.pk]), {"employee": engineer.pk, "role": "SA"}
    )
    member = AccountTeamMember.objects.get(account=acc)
    assert (
        client_for(world.agent)
        .post(reverse("customers:team-remove", args=[acc.pk]), {"member": member.pk})
        .status_code
        == 403
    )
    client.post(reverse("customers:team-remove", args=[acc.pk]), {"member": member.pk})
    assert not AccountTeamMember.objects.exists()


def test_custom_field_pages_are_for_admins(world):
    admin = client_for(world.admin)
    created = admin.post(
        reverse("customers:custom-field-create"),
        {
            "code": "credit_rating",
            "label": "信用评级",
            "kind": "choice",
            "choices_text": "AAA\nAA",
            "position": 1,
        },
    )
    assert created.status_code == 302
    definition = CustomField.objects.get()
    assert definition.choices == ["AAA", "AA"]
    assert "信用评级" in admin.get(reverse("customers:custom-field-list")).content.decode()
    assert (
        client_for(world.after_sales).get(reverse("customers:custom-field-list")).status_code == 403
    )
