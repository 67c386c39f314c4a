"""/api/customers: accounts, contacts, custom fields, merge and the timeline."""

from __future__ import annotations

import pytest

from kehu.access.services import api_token_create
from kehu.conftest import EmployeeFactory, client_for
from kehu.customers.models import Account, Contact, CustomField
from kehu.customers.tests.factories import account, contact, entry


def token_client(user):
    client = client_for(None)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {api_token_create(user=user, name='t').secret}"
    return client


@pytest.fixture
def keeper(world):
    return token_client(world.account_manager)


def post(client, path, payload):
    return client.post(path, payload, content_type="application/json")


def patch(client, path, payload):
    return client.patch(path, payload, content_type="application/json")


def test_create_refuses_duplicates_unless_allowed(world, keeper):
    whale = account("北京蓝鲸科技有限公司", name_en="Blue Whale Co., Ltd.")
    owner = EmployeeFactory(department=world.aftersales)
    CustomField.objects.create(code="contract_no", label="合同编号")
    refused = post(keeper, "/api/customers/accounts", {"name": "蓝鲸", "name_en": "BLUE WHALE"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "duplicate" and body["candidates"][0]["id"] == whale.pk
    created = post(
        keeper,
        "/api/customers/accounts",
        {
            "name": "蓝鲸",
            "name_en": "BLUE WHALE",
            "allow_duplicate": True,
            "owner_id": owner.pk,
            "tags": ["出海"],
            "custom_fields": {"contract_no": "HT-1"},
            "credit_limit": "1000.50",
        },
    )
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["owner_id"] == owner.pk and data["tags"] == ["出海"]
    assert data["custom_fields"] == {"contract_no": "HT-1"}
    bad = post(
        keeper,
        "/api/customers/accounts",
        {"name": "新的", "custom_fields": {"nope": 1}, "credit_limit": "-1"},
    )
    assert bad.status_code == 422


def test_patch_with_version_and_stale_409(world, keeper):
    acc = account("甲公司")
    ok = patch(keeper, f"/api/customers/accounts/{acc.pk}", {"version": 1, "region": "上海"})
    assert ok.status_code == 200 and ok.json()["region"] == "上海" and ok.json()["version"] == 2
    stale = patch(keeper, f"/api/customers/accounts/{acc.pk}", {"version": 1, "region": "北京"})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    child = account("子公司", parent=acc)
    loop = patch(keeper, f"/api/customers/accounts/{acc.pk}", {"version": 2, "parent_id": child.pk})
    assert loop.status_code == 422
    assert (
        patch(
            token_client(world.agent), f"/api/customers/accounts/{acc.pk}", {"version": 2}
        ).status_code
        == 403
    )


def test_list_filters_and_query_count(world, keeper, django_assert_max_num_queries):
    for i in range(3):
        acc = account(f"上海星河{i}号有限公司", level="key" if i else "standard")
        contact(acc, email=f"p{i}@galaxy.cn")
    keeper.get("/api/customers/accounts")
    with django_assert_max_num_queries(8) as few:
        assert len(keeper.get("/api/customers/accounts").json()["results"]) == 3
    for i in range(10):
        acc = account(f"北京{i}有限公司")
        acc.tags.create(name=f"标签{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = keeper.get("/api/customers/accounts?page_size=50")
    assert len(response.json()["results"]) == 13
    assert len(keeper.get("/api/customers/accounts?level=key").json()["results"]) == 2
    found = keeper.get("/api/customers/accounts?q=P1@GALAXY").json()["results"]
    assert [a["name"] for a in found] == ["上海星河1号有限公司"]
    assert len(keeper.get("/api/customers/accounts?q=shxh").json()["results"]) == 3
    assert (
        keeper.get("/api/customers/accounts?tag=标签3").json()["results"][0]["name"]
        == "北京3有限公司"
    )


def test_contacts(world, keeper):
    acc = account()
    created = post(
        keeper,
        f"/api/customers/accounts/{acc.pk}/contacts",
        {"name": "张伟", "phone": "138 0000 0000", "preferred_channel": "phone"},
    )
    assert created.status_code == 201 and created.json()["phone_key"] == "+8613800000000"
    pk = created.json()["id"]
    assert (
        patch(keeper, f"/api/customers/contacts/{pk}", {"version": 1, "role": "CTO"}).status_code
        == 200
    )
    assert (
        patch(keeper, f"/api/customers/contacts/{pk}", {"version": 1, "role": "CIO"}).status_code
        == 409
    )
    listed = keeper.get(f"/api/customers/accounts/{acc.pk}/contacts").json()
    assert [c["role"] for c in listed] == ["CTO"]


def test_merge_and_timeline(world, keeper):
    survivor, merged = account("甲公司"), account("甲公司（重复）")
    contact(merged)
    entry(merged, 1)
    entry(merged, 2, restricted=True)
    response = post(
        keeper, f"/api/customers/accounts/{survivor.pk}/merge", {"merged_id": merged.pk}
    )
    assert response.status_code == 200, response.json()
    assert not Account.objects.filter(pk=merged.pk).exists()
    assert Contact.objects.get().account_id == survivor.pk
    agent_view = token_client(world.agent).get(f"/api/customers/accounts/{survivor.pk}/timeline")
    sales_view = token_client(world.after_sales).get(
        f"/api/customers/accounts/{survivor.pk}/timeline"
    )
    assert [e["restricted"] for e in agent_view.json()["items"]].count(True) == 0
    assert [e["restricted"] for e in sales_view.json()["items"]].count(True) == 1
    paged = (
        token_client(world.after_sales)
        .get(f"/api/customers/accounts/{survivor.pk}/timeline?page_size=1")
        .json()
    )
    older = (
        token_client(world.after_sales)
        .get(
            f"/api/customers/accounts/{survivor.pk}/timeline?page_size=1&before={paged['next_cursor']}"
        )
        .json()
    )
    assert older["items"][0]["id"] != paged["items"][0]["id"]
    merges = keeper.get(f"/api/customers/accounts/{survivor.pk}/timeline?kind=merge").json()
    assert [e["kind"] for e in merges["items"]] == ["merge"]
    assert (
        keeper.get(f"/api/customers/accounts/{survivor.pk}/timeline?kind=bogus").status_code == 422
    )


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/customers/accounts"),
        ("get", "/api/customers/accounts/{pk}"),
        ("get", "/api/customers/accounts/{pk}/contacts"),
        ("get", "/api/customers/accounts/{pk}/timeline"),
        ("get", "/api/customers/custom-fields"),
        ("patch", "/api/customers/accounts/{pk}"),
        ("post", "/api/customers/accounts/{pk}/merge"),
    ],
)
def test_portal_user_is_kept_out(world, method, path):
    own = account("甲公司")
    person = contact(own)
    person.user = world.customer_a
    person.save()
    client = client_for(world.customer_a)
    response = (
        getattr(client, method)(
            path.format(pk=own.pk),
            {"version": 1, "merged_id": own.pk},
            content_type="application/json",
        )
        if method != "get"
        else client.get(path.format(pk=own.pk))
    )
    assert response.status_code in (403, 404)
