"""/api/segments: rules CRUD (administrators), recompute, overrides with versions, facts."""

from __future__ import annotations

from datetime import date

import pytest

from kehu.conftest import client_for
from kehu.customers.models import Account, SegmentChange
from kehu.segments.models import SegmentRule


@pytest.fixture
def account(db):
    return Account.objects.create(name="甲公司", customer_since=date(2020, 1, 1))


def test_rules_crud_for_admins(world):
    client = client_for(world.admin)
    listed = client.get("/api/segments/rules").json()
    assert [r["position"] for r in listed] == [10, 20, 30, 40, 1000]
    created = client.post(
        "/api/segments/rules",
        {"name": "大客户", "segment": "loyal", "position": 1, "min_spend_365": "100000"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    stale = client.patch(
        f"/api/segments/rules/{pk}", {"version": 5, "name": "x"}, content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    bad = client.patch(
        f"/api/segments/rules/{pk}",
        {"version": 1, "max_spend_365": "10"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    ok = client.patch(
        f"/api/segments/rules/{pk}",
        {"version": 1, "is_active": False},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert client.delete(f"/api/segments/rules/{pk}").status_code == 204
    assert not SegmentRule.objects.filter(pk=pk).exists()


@pytest.mark.parametrize("persona", ["after_sales", "account_manager", "lead", "customer_a"])
def test_rules_are_for_admins_only(world, persona):
    client = client_for(getattr(world, persona))
    assert client.get("/api/segments/rules").status_code == 403
    assert client.post("/api/segments/recompute").status_code == 403
    response = client.post(
        "/api/segments/rules", {"name": "x", "segment": "loyal"}, content_type="application/json"
    )
    assert response.status_code == 403


def test_recompute_and_account_facts(world, account):
    result = client_for(world.admin).post("/api/segments/recompute").json()
    assert result == {"accounts": 1, "changed": 1, "overridden": 0, "unmatched": 0}
    body = client_for(world.after_sales).get(f"/api/segments/accounts/{account.pk}").json()
    assert body["segment"] == "potential" and body["rule_name"] == "No purchases in the last year"
    assert body["facts"]["tenure_months"] >= 70 and body["facts"]["spend_365"] == "0"
    assert body["history"][0]["source"] == "rule"
    # Staff outside the dossier see the segment, not the usage facts behind it.
    plain = client_for(world.agent).get(f"/api/segments/accounts/{account.pk}").json()
    assert plain["segment"] == "potential" and plain["facts"] is None and plain["checks"] == []


def test_override_and_withdraw_with_versions(world, account):
    client = client_for(world.account_manager)
    url = f"/api/segments/accounts/{account.pk}"
    done = client.post(
        f"{url}/override",
        {"version": 1, "segment": "loyal", "reason": "战略客户"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["overridden"] is True
    stale = client.post(f"{url}/withdraw", {"version": 1}, content_type="application/json")
    assert stale.status_code == 409
    empty = client.post(
        f"{url}/override",
        {"version": 2, "segment": "loyal", "reason": ""},
        content_type="application/json",
    )
    assert empty.status_code == 422
    back = client.post(f"{url}/withdraw", {"version": 2}, content_type="application/json")
    assert back.status_code == 200 and back.json()["segment"] == "potential"
    assert SegmentChange.objects.filter(account=account).count() == 2


@pytest.mark.parametrize("persona,status", [("agent", 403), ("customer_a", 404), ("outsider", 404)])
def test_override_refused_to_others(world, account, persona, status):
    response = client_for(getattr(world, persona)).post(
        f"/api/segments/accounts/{account.pk}/override",
        {"version": 1, "segment": "loyal", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == status
    assert not SegmentChange.objects.exists()


def test_customer_never_sees_even_their_own_accounts_segment(world):
    from kehu.desk.tests.factories import contact

    own = contact("甲公司")
    own.user = world.customer_a
    own.save()
    response = client_for(world.customer_a).get(f"/api/segments/accounts/{own.account_id}")
    assert response.status_code == 403
