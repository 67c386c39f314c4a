"""/api/handover: start, list, get, item patch with versions."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kehu.access.models import Role
from kehu.conftest import client_for, make_user
from kehu.customers.models import Account
from kehu.handover.models import Handover, HandoverItem


def _start(client, setup, **payload):
    return client.post(
        "/api/handover",
        {"from_employee_id": setup.leaving.pk, "reason": "leaving", **payload},
        content_type="application/json",
    )


def test_start_with_assignments_and_work_the_item(world, setup):
    client = client_for(world.after_sales)
    response = _start(
        client,
        setup,
        assignments=[
            {"account_id": setup.accounts[0].pk, "new_owner_id": setup.taker.pk},
            {"account_id": setup.accounts[1].pk, "new_owner_id": setup.other.pk},
        ],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == f"HO-{body['id']}" and len(body["items"]) == 2
    assert Account.objects.get(pk=setup.accounts[2].pk).owner == setup.leaving
    item = body["items"][0]
    url = f"/api/handover/items/{item['id']}"
    refused = client.patch(url, {"version": 1, "status": "done"}, content_type="application/json")
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"background_notes", "first_visit_done_on"}
    ok = client.patch(
        url,
        {
            "version": 1,
            "background_notes": "背景",
            "status": "done",
            "first_visit_done_on": timezone.localdate().isoformat(),
        },
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["status"] == "done"
    stale = client.patch(url, {"version": 1, "open_items": "x"}, content_type="application/json")
    assert stale.status_code == 409
    listed = client.get("/api/handover").json()
    assert [h["id"] for h in listed["results"]] == [body["id"]]


def test_one_owner_for_all(world, setup):
    response = _start(client_for(world.admin), setup, new_owner_id=setup.taker.pk)
    assert response.status_code == 201
    assert Account.objects.filter(owner=setup.taker).count() == 3


@pytest.mark.parametrize(
    "payload,field",
    [
        ({}, "new_owner"),
        ({"assignments": [{"account_id": 999999, "new_owner_id": 1}]}, "assignments"),
        ({"new_owner_id": 999999}, "new_owner_id"),
    ],
)
def test_bad_input_is_a_clear_422(world, setup, payload, field):
    response = _start(client_for(world.admin), setup, **payload)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Handover.objects.exists()


def test_lead_of_another_department_is_kept_out(world, setup):
    other_lead = make_user("finance_lead", (Role.DEPARTMENT_LEAD, world.finance))
    client = client_for(other_lead)
    response = _start(client, setup, new_owner_id=setup.taker.pk)
    assert response.status_code == 422  # not an employee they may hand over
    handover = _start(client_for(world.admin), setup, new_owner_id=setup.taker.pk).json()
    assert client.get(f"/api/handover/{handover['id']}").status_code == 404
    item = handover["items"][0]["id"]
    patch = client.patch(
        f"/api/handover/items/{item}",
        {"version": 1, "open_items": "x"},
        content_type="application/json",
    )
    assert patch.status_code == 404


@pytest.mark.parametrize("persona", ["agent", "employee", "account_manager", "customer_a"])
def test_cannot_start_without_the_role(world, setup, persona):
    response = _start(client_for(getattr(world, persona)), setup, new_owner_id=setup.taker.pk)
    assert response.status_code == 403


def test_new_owner_sees_only_their_items(world, setup, django_assert_max_num_queries):
    admin = client_for(world.admin)
    _start(
        admin,
        setup,
        assignments=[
            {"account_id": setup.accounts[0].pk, "new_owner_id": setup.taker.pk},
            {"account_id": setup.accounts[1].pk, "new_owner_id": setup.other.pk},
        ],
    )
    client = client_for(world.account_manager)
    with django_assert_max_num_queries(10):
        listed = client.get("/api/handover").json()["results"]
    assert [i["account_id"] for i in listed[0]["items"]] == [setup.accounts[0].pk]
    assert HandoverItem.objects.count() == 2
    assert client_for(world.customer_a).get("/api/handover").status_code == 403
