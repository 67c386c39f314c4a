"""The churn API: the same rules and permissions as the pages, 409 on stale versions."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.churn.models import ChurnReview
from kehu.churn.tests import factories as f
from kehu.conftest import client_for

pytestmark = pytest.mark.django_db


def _json(client, method, path, data=None):
    if method == "get":
        response = client.get(path)
    else:
        response = getattr(client, method)(
            path, data=json.dumps(data or {}), content_type="application/json"
        )
    return response.status_code, response.json() if response.content else None


@pytest.fixture
def setup(world):
    owner = f.owner(world.support, user=world.account_manager, name="王芳")
    account = f.account("华东物流有限公司", owner=owner)
    return {"owner": owner, "account": account}


def test_open_edit_attribute_and_close_through_the_api(world, setup):
    client = client_for(world.account_manager)
    account = setup["account"]
    status, body = _json(
        client,
        "post",
        "/api/churn",
        {
            "account_id": account.pk,
            "kind": "shrinking",
            "revenue_before": "900000",
            "revenue_after": "300000",
            "evidence": "用量下降",
        },
    )
    assert status == 201, body
    pk, version = body["id"], body["version"]
    assert body["status"] == "open"
    assert body["owner_at_review_id"] == setup["owner"].pk
    assert body["department_id"] == world.support.pk
    assert body["revenue_lost"] == "600000.00"
    assert body["attribution"] is None

    status, body = _json(client, "post", "/api/churn", {"account_id": account.pk, "kind": "lost"})
    assert status == 422
    assert body["errors"][0]["field"] == "account"

    ticket = f.ticket_of(account, world.support)
    status, body = _json(
        client,
        "patch",
        f"/api/churn/{pk}",
        {
            "version": version,
            "attribution": "service_capability",
            "cause_areas": ["operations"],
            "ticket_ids": [ticket.pk],
            "review_held_on": timezone.localdate().isoformat(),
            "attendee_ids": [setup["owner"].pk],
            "decision": "提升运维响应",
        },
    )
    assert status == 200, body
    assert body["cause_areas"] == ["operations"] and body["ticket_ids"] == [ticket.pk]
    assert body["attendee_ids"] == [setup["owner"].pk]

    status, body = _json(
        client, "patch", f"/api/churn/{pk}", {"version": version, "decision": "旧的"}
    )
    assert status == 409
    assert body["code"] == "stale_version"

    current = ChurnReview.objects.get(pk=pk).version
    status, body = _json(
        client, "post", f"/api/churn/{pk}/transition", {"version": current, "status": "reviewed"}
    )
    assert status == 200, body
    assert body["status"] == "reviewed"

    status, follow_up = _json(
        client,
        "post",
        f"/api/churn/{pk}/follow-ups",
        {"action": "运维复盘", "owner_id": setup["owner"].pk, "due_on": "2020-01-01"},
    )
    assert status == 201 and follow_up["overdue"] is True
    status, body = _json(
        client,
        "post",
        f"/api/churn/{pk}/transition",
        {"version": body["version"], "status": "closed"},
    )
    assert status == 422
    status, done = _json(
        client,
        "post",
        f"/api/churn/follow-ups/{follow_up['id']}/done",
        {"version": follow_up["version"], "note": "已复盘"},
    )
    assert status == 200 and done["done_at"]
    status, _ = _json(
        client,
        "post",
        f"/api/churn/follow-ups/{follow_up['id']}/done",
        {"version": follow_up["version"]},
    )
    assert status == 409
    status, listed = _json(client, "get", f"/api/churn/{pk}/follow-ups")
    assert status == 200 and listed[0]["done_note"] == "已复盘"


def test_rules_answer_422_with_the_field(world, setup):
    review = f.review(setup["account"], attribution="commercial")
    client = client_for(world.after_sales)
    status, body = _json(
        client,
        "patch",
        f"/api/churn/{review.pk}",
        {"version": review.version, "review_held_on": timezone.localdate().isoformat()},
    )
    assert status == 200
    status, body = _json(
        client,
        "post",
        f"/api/churn/{review.pk}/transition",
        {"version": body["version"], "status": "reviewed"},
    )
    assert status == 422
    assert {e["field"] for e in body["errors"]} == {"competitor"}
    status, body = _json(
        client, "patch", f"/api/churn/{review.pk}", {"version": 99, "revenue_before": "-1"}
    )
    assert status == 422
    status, body = _json(client, "patch", f"/api/churn/{review.pk}", {"version": 1, "kind": None})
    assert status == 422
    status, body = _json(
        client, "patch", f"/api/churn/{review.pk}", {"version": 1, "ticket_ids": [999999]}
    )
    assert status == 422
    status, body = _json(client, "post", "/api/churn", {"account_id": 999999, "kind": "lost"})
    assert status == 404


@pytest.mark.parametrize(
    "persona,read,write",
    [
        ("admin", 200, 200),
        ("after_sales", 200, 200),
        ("account_manager", 200, 200),
        ("auditor", 200, 403),
        ("agent", 404, 404),
        ("employee", 404, 404),
        ("lead", 404, 404),
        ("customer_a", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_permissions(world, setup, persona, read, write):
    from kehu.customers.models import Contact

    Contact.objects.create(account=setup["account"], name="客户甲", user=world.customer_a)
    review = f.review(setup["account"])
    client = client_for(getattr(world, persona))
    assert client.get(f"/api/churn/{review.pk}").status_code == read
    status, _ = _json(
        client, "patch", f"/api/churn/{review.pk}", {"version": review.version, "decision": "x"}
    )
    assert status == write
    listed = client.get("/api/churn")
    if persona in ("customer_a", "outsider"):
        assert listed.status_code == 403
    else:
        assert listed.status_code == 200
        assert len(listed.json()["results"]) == (1 if read == 200 else 0)
    other = f.account("西南能源集团", owner=setup["owner"])
    status, _ = _json(client, "post", "/api/churn", {"account_id": other.pk, "kind": "lost"})
    assert status == (201 if write == 200 else write)


def test_list_filters_and_pages_in_few_queries(world, setup, django_assert_max_num_queries):
    account = setup["account"]
    ticket = f.ticket_of(account, world.support)
    f.review(
        account,
        attribution="service_capability",
        cause_product=True,
        tickets=[ticket],
    )
    for n in range(12):
        f.reviewed(
            f.account(f"公司{n}", owner=setup["owner"]), attribution="commercial", competitor="云帆"
        )
    client = client_for(world.account_manager)
    with django_assert_max_num_queries(10):
        response = client.get("/api/churn?page_size=5")
    page = response.json()
    assert response.status_code == 200 and len(page["results"]) == 5 and page["next"]
    second = client.get(page["next"]).json()
    assert not {r["id"] for r in second["results"]} & {r["id"] for r in page["results"]}
    filtered = client.get("/api/churn?attribution=service_capability").json()["results"]
    assert [r["ticket_ids"] for r in filtered] == [[ticket.pk]]
    assert len(client.get("/api/churn?status=reviewed").json()["results"]) == 12
    assert client.get("/api/churn?status=bogus").status_code == 422


def test_report_endpoint(world, setup):
    f.review(
        setup["account"],
        revenue_before=Decimal("1000"),
        attribution="commercial",
        competitor="云帆",
    )
    status, body = _json(client_for(world.auditor), "get", "/api/churn/report?period=year")
    assert status == 200
    assert body["period"] == "year"
    assert body["by_class"][0]["group_key"] == "commercial"
    assert body["by_class"][0]["revenue_lost"] == "1000.00"
    assert body["by_owner"][0]["group_key"] == setup["owner"].pk
    assert body["by_department"][0]["group_key"] == world.support.pk
    status, body = _json(
        client_for(world.admin), "get", "/api/churn/report?date_from=2025-02-01&date_to=2025-01-01"
    )
    assert status == 422
