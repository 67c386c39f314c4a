"""The usage API: all-or-nothing batches with errors by index, series, permissions."""

import json
from datetime import timedelta

from kehu.conftest import client_for
from kehu.usage.models import UsageRecord
from kehu.usage.tests.conftest import DAY, days, write


def post(client, records):
    return client.post(
        "/api/usage/records", json.dumps({"records": records}), content_type="application/json"
    )


def record(account, **extra):
    return (
        {"account_id": account.pk, "product": "cloud-server", "day": "2026-03-01"}
        | {"quantity": "10.5"}
        | extra
    )


def test_a_batch_is_stored_and_a_stored_day_replaced(world, account, products):
    client = client_for(world.after_sales)
    response = post(client, [record(account), record(account, day="2026-03-02", spend="3")])
    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0}
    response = post(client, [record(account, quantity="11")])
    assert response.json() == {"created": 0, "updated": 1}
    assert UsageRecord.objects.get(day="2026-03-01").quantity == 11


def test_one_bad_record_stores_nothing_and_is_named_by_index(world, account, products):
    client = client_for(world.account_manager)
    response = post(
        client,
        [record(account), record(account, product="nope"), record(account, account_id=999999)],
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"records.1.product", "records.2.account_id"}
    assert not UsageRecord.objects.exists()
    response = post(client, [record(account, quantity="-1")])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "records.0.quantity"


def test_only_keepers_and_admins_store_usage(world, account, products):
    for user in (world.agent, world.auditor, world.customer_a, world.employee):
        assert post(client_for(user), [record(account)]).status_code == 403
    assert post(client_for(world.admin), [record(account)]).status_code == 200
    assert post(client_for(None), [record(account)]).status_code == 401


def test_series_by_week_is_summed_in_the_database(world, account, products):
    write(account, products["vm"], days(DAY, 14, 10))
    url = f"/api/usage/accounts/{account.pk}/series"
    response = client_for(world.after_sales).get(
        url,
        {
            "from": (DAY - timedelta(days=13)).isoformat(),
            "to": DAY.isoformat(),
            "granularity": "week",
        },
    )
    assert response.status_code == 200
    points = response.json()
    assert [float(p["quantity"]) for p in points] == [70, 70]  # Monday to Sunday
    assert {p["product"] for p in points} == {"cloud-server"}
    bad = client_for(world.after_sales).get(url, {"from": "2026-03-10", "to": "2026-03-01"})
    assert bad.status_code == 422


def test_series_is_for_dossier_readers_only(world, account, products):
    url = f"/api/usage/accounts/{account.pk}/series"
    assert client_for(world.account_manager).get(url).status_code == 200  # the owner
    assert client_for(world.auditor).get(url).status_code == 200
    assert client_for(world.agent).get(url).status_code == 403
    assert client_for(world.customer_a).get(url).status_code in (403, 404)


def test_alerts_api_lists_and_acknowledges_with_the_version(world, account, products):
    from kehu.usage import swings
    from kehu.usage.tests.conftest import rule

    rule()
    write(account, products["vm"], days(DAY - timedelta(days=7), 7, 10) | days(DAY, 7, 30))
    (alert,) = swings.detect(DAY)
    client = client_for(world.account_manager)
    listed = client.get("/api/usage/alerts").json()["results"]
    assert [a["id"] for a in listed] == [alert.pk]
    assert client_for(world.agent).get("/api/usage/alerts").json()["results"] == []
    url = f"/api/usage/alerts/{alert.pk}/acknowledge"
    body = json.dumps({"version": alert.version, "note": "客户在迁移"})
    assert client.post(url, body, content_type="application/json").status_code == 200
    assert client.post(url, body, content_type="application/json").status_code == 409
    assert client_for(world.customer_a).get("/api/usage/alerts").status_code == 403
