"""The pipeline API: every documented status, the same rules as the pages."""

import io
import json
from datetime import date

from openpyxl import Workbook

from kehu.conftest import client_for
from kehu.pipeline.models import Opportunity, StageMove
from kehu.pipeline.tests.factories import opportunity, sales, stage
from kehu.relations.tests.factories import person

BASE = "/api/pipeline"


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def _patch(client, url, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def test_open_an_opportunity_with_the_account_owner_as_ar(world):
    s = sales(world)
    client = client_for(world.account_manager)
    response = _post(
        client,
        f"{BASE}/opportunities",
        {
            "account_id": s.account.pk,
            "name": "云平台扩容",
            "amount": "1200000.50",
            "currency": "cny",
            "expected_close": "2031-06-30",
            "sr_id": s.colleague.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ar_id"] == s.owner.pk and body["sr_id"] == s.colleague.pk
    assert body["currency"] == "CNY" and body["stage_code"] == "qualify"
    assert body["amount"] == "1200000.50" and body["weighted_amount"] == "120000.05"


def test_bad_money_is_a_422_in_the_users_language(world):
    s = sales(world)
    client = client_for(world.account_manager)
    base = {"account_id": s.account.pk, "name": "x", "expected_close": "2031-06-30"}
    for body in (
        {**base, "amount": "-5"},
        {**base, "amount": "1.005"},
        {**base, "amount": "10", "currency": "XYZ"},
        {**base, "amount": "10", "currency": "元"},
    ):
        response = _post(client, f"{BASE}/opportunities", body)
        assert response.status_code == 422, (body, response.content)
    zh = _post(
        client,
        f"{BASE}/opportunities",
        {**base, "amount": "10", "currency": "XYZ"},
    )
    assert zh.json()["errors"][0]["field"] == "currency"
    assert not Opportunity.objects.exists()


def test_moves_201_409_422(world):
    s = sales(world)
    found = opportunity(s.account)
    client = client_for(world.account_manager)
    url = f"{BASE}/opportunities/{found.pk}/moves"
    moved = _post(client, url, {"version": 1, "stage_id": stage("bid").pk})
    assert moved.status_code == 201
    assert moved.json()["from_stage_id"] == stage("qualify").pk
    stale = _post(client, url, {"version": 1, "stage_id": stage("negotiation").pk})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    same = _post(client, url, {"version": 2, "stage_id": stage("bid").pk})
    assert same.status_code == 409 and same.json()["code"] == "refused"
    no_reason = _post(client, url, {"version": 2, "stage_id": stage("won").pk})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "win_loss_reason"
    won = _post(
        client, url, {"version": 2, "stage_id": stage("won").pk, "win_loss_reason": "solution"}
    )
    assert won.status_code == 201
    history = client.get(url).json()
    assert [m["to_stage_id"] for m in history] == [stage(c).pk for c in ("qualify", "bid", "won")]
    assert client.delete(f"{BASE}/opportunities/{found.pk}").status_code == 409


def test_update_with_an_override_needs_its_reason(world):
    found = opportunity(sales(world).account)
    client = client_for(world.account_manager)
    url = f"{BASE}/opportunities/{found.pk}"
    assert _patch(client, url, {"version": 1, "probability_override": 70}).status_code == 422
    response = _patch(
        client, url, {"version": 1, "probability_override": 70, "probability_reason": "已中标公示"}
    )
    assert response.status_code == 200 and response.json()["probability"] == 70
    assert _patch(client, url, {"version": 1, "name": "旧"}).status_code == 409


def test_buying_roles_and_competitors(world):
    s = sales(world)
    found = opportunity(s.account)
    boss = person(s.account, "王总")
    client = client_for(world.account_manager)
    url = f"{BASE}/opportunities/{found.pk}/roles/{boss.pk}/decision_maker"
    response = client.put(url, json.dumps({"stance": "supporter"}), content_type="application/json")
    assert response.status_code == 200
    assert client.get(f"{BASE}/opportunities/{found.pk}").json()["buying_roles"] == [
        {"person_id": boss.pk, "role": "decision_maker", "stance": "supporter"}
    ]
    assert client.delete(url).status_code == 204
    competitor = _post(client, f"{BASE}/opportunities/{found.pk}/competitors", {"name": "友商"})
    assert competitor.status_code == 201
    again = _post(client, f"{BASE}/opportunities/{found.pk}/competitors", {"name": "友商"})
    assert again.status_code == 422
    assert client.delete(f"{BASE}/competitors/{competitor.json()['id']}").status_code == 204


def test_leads_crud_and_conversion(world):
    s = sales(world)
    client = client_for(world.account_manager)
    created = _post(
        client,
        f"{BASE}/leads",
        {
            "title": "展会线索",
            "source": "event",
            "prospect_name": "南方电网某局",
            "owner_id": s.owner.pk,
        },
    )
    assert created.status_code == 201
    lead = created.json()
    assert _post(client, f"{BASE}/leads", {"title": "空", "source": "event"}).status_code == 422
    changed = _patch(client, f"{BASE}/leads/{lead['id']}", {"version": 1, "status": "qualified"})
    assert changed.status_code == 200
    body = {"version": 2, "amount": "80000", "expected_close": "2031-09-01"}
    converted = _post(client, f"{BASE}/leads/{lead['id']}/convert", body)
    assert converted.status_code == 201, converted.content
    assert converted.json()["ar_id"] == s.owner.pk
    assert (
        _post(client, f"{BASE}/leads/{lead['id']}/convert", {**body, "version": 3}).status_code
        == 409
    )
    assert client.delete(f"{BASE}/leads/{lead['id']}").status_code == 409
    listed = client.get(f"{BASE}/leads?status=converted").json()
    assert [item["id"] for item in listed["results"]] == [lead["id"]]


def test_the_auditor_reads_and_changes_nothing(world):
    found = opportunity(sales(world).account)
    client = client_for(world.auditor)
    assert client.get(f"{BASE}/opportunities/{found.pk}").status_code == 200
    moved = _post(
        client,
        f"{BASE}/opportunities/{found.pk}/moves",
        {"version": 1, "stage_id": stage("bid").pk},
    )
    assert moved.status_code == 403
    assert _patch(client, f"{BASE}/opportunities/{found.pk}", {"version": 1}).status_code == 403
    assert StageMove.objects.count() == 1


def test_customers_and_outsiders_get_nothing(world):
    found = opportunity(sales(world).account)
    for user in (world.customer_a, world.outsider):
        client = client_for(user)
        assert client.get(f"{BASE}/opportunities/{found.pk}").status_code == 404
        assert client.get(f"{BASE}/opportunities").status_code == 403
        assert client.get(f"{BASE}/forecast").status_code == 403
    assert client_for(None).get(f"{BASE}/opportunities").status_code == 401


def test_staff_off_the_deal_do_not_see_it(world):
    found = opportunity(sales(world).account)
    client = client_for(world.employee)
    assert client.get(f"{BASE}/opportunities/{found.pk}").status_code == 404
    assert client.get(f"{BASE}/opportunities").json()["results"] == []


def test_forecast_and_conversion_endpoints(world):
    s = sales(world)
    opportunity(s.account, amount="1000", expected_close=date(2031, 1, 31))
    client = client_for(world.lead)
    body = client.get(f"{BASE}/forecast?period=quarter&group=department&start=2031-01-01").json()
    assert body["rows"][0]["label"] == "2031 Q1"
    assert body["rows"][0]["weighted"] == "100.00"
    assert body["rows"][0]["group_name"] == "Finance"
    assert client.get(f"{BASE}/forecast?period=week").status_code == 422
    assert client.get(f"{BASE}/forecast?start=2031-02-01&end=2031-01-01").status_code == 422
    assert client.get(f"{BASE}/forecast?start=9999-12-31").status_code == 422
    assert client.get(f"{BASE}/conversion?end=9999-12-31").status_code == 422
    page = client.get("/pipeline/forecast/?start=9999-12-31")
    assert page.status_code == 200 and "1900" in page.content.decode()
    figures = client.get(f"{BASE}/conversion").json()
    assert figures["stages"][0]["stage_code"] == "qualify" and figures["stages"][0]["entered"] == 1


def _xlsx(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_import_is_all_or_nothing_with_errors_per_row(world):
    s = sales(world)
    client = client_for(world.account_manager)
    header = ["account", "name", "amount", "currency", "expected_close", "stage", "ar"]
    bad = _xlsx(
        [
            header,
            [s.account.name, "好的一行", "1000", "CNY", "2031-05-01", "bid", ""],
            [s.account.name, "坏的一行", "-3", "XYZ", "2031-13-01", "won", "E-NONE"],
            ["不存在的公司", "第三行", "5", "", "2031-05-01", "", ""],
        ]
    )
    upload = io.BytesIO(bad)
    upload.name = "deals.xlsx"
    response = client.post(f"{BASE}/import", {"file": upload})
    assert response.status_code == 422
    errors = {(e["line"], e["column"]) for e in response.json()["errors"]}
    assert {
        (3, "amount"),
        (3, "currency"),
        (3, "expected_close"),
        (3, "stage"),
        (3, "ar"),
    } <= errors
    assert (4, "account") in errors
    assert not Opportunity.objects.exists()
    good = io.BytesIO(
        "account,name,amount,expected_close,stage\n"
        f"{s.account.pk},导入商机,2500.50,2031-05-01,bid\n".encode()
    )
    good.name = "deals.csv"
    response = client.post(f"{BASE}/import", {"file": good})
    assert response.status_code == 200 and response.json()["created"] == 1
    imported = Opportunity.objects.get()
    assert (imported.stage.code, str(imported.amount), imported.ar) == ("bid", "2500.50", s.owner)


def test_stages_are_configured_by_administrators(world):
    admin = client_for(world.admin)
    body = {"code": "poc", "name": "试点", "name_en": "Proof of concept", "probability": 50}
    assert _post(client_for(world.account_manager), f"{BASE}/stages", body).status_code == 403
    created = _post(admin, f"{BASE}/stages", {**body, "position": 25})
    assert created.status_code == 201
    assert (
        _post(admin, f"{BASE}/stages", {**body, "code": "win2", "outcome": "won"}).status_code
        == 422
    )
    codes = [s["code"] for s in admin.get(f"{BASE}/stages").json()]
    assert codes.index("poc") == codes.index("solution") + 1
    retired = _patch(
        admin, f"{BASE}/stages/{created.json()['id']}", {"version": 1, "is_active": False}
    )
    assert retired.status_code == 200 and retired.json()["is_active"] is False
