"""The contract API: create with computed totals, bad input (422 naming the field), lifecycle
and approval refusals (409 with the reason), decisions, change orders, library, permissions."""

import json

from kehu.conftest import client_for
from kehu.contracts.models import Contract, RiskRule
from kehu.contracts.tests.factories import draft, elements, setup


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def _create(client, s, **overrides):
    body = {
        "account_id": s.account.pk,
        "contract_type_id": s.contract_type.pk,
        **elements(**overrides),
    }
    return _post(client, "/api/contracts", body)


def test_create_read_and_totals(world):
    s = setup(world)
    client = client_for(world.account_manager)
    response = _create(client, s)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["gross_total"] == "165300.00" and data["status"] == "draft"
    assert data["lines"][0]["amount"] == "101700.00"
    assert data["milestones"][1]["amount"] == "115710.00"
    assert "cancelled" in data["next_statuses"] and "approved" not in data["next_statuses"]
    assert client.get(f"/api/contracts/{data['id']}").json()["number"] == data["number"]
    listed = client.get("/api/contracts", {"q": "云服务器"}).json()
    assert [c["id"] for c in listed["results"]] == [data["id"]]


def test_bad_input_is_422_naming_fields_and_changes_nothing(world):
    s = setup(world)
    client = client_for(world.account_manager)
    bad_line = {
        "kind": "product",
        "name": "x",
        "quantity": "1",
        "unit": "台",
        "unit_price": "12.345",
    }
    response = _create(client, s, currency="ZZZ", lines=[bad_line])
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"currency", "lines.0.unit_price"} <= fields
    response = _create(client, s, currency="USD")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "exchange_rate"
    assert not Contract.objects.exists()


def test_transition_out_of_order_is_409_with_reason(world):
    s = setup(world)
    contract = draft(world, s)
    client = client_for(world.account_manager)
    response = _post(
        client,
        f"/api/contracts/{contract.pk}/transitions",
        {"to": "delivering", "version": contract.version},
    )
    assert response.status_code == 409 and "cannot go" in response.json()["message"]
    response = _post(
        client,
        f"/api/contracts/{contract.pk}/transitions",
        {"to": "cancelled", "version": contract.version + 5, "reason": "x"},
    )
    assert response.status_code == 409 and response.json()["code"] == "stale_version"


def test_approval_over_the_api(world):
    s = setup(world)
    contract = draft(world, s)
    owner = client_for(world.account_manager)
    submitted = _post(owner, f"/api/contracts/{contract.pk}/submit", {"version": contract.version})
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_approval"
    finance = client_for(s.finance)
    inbox = finance.get("/api/contracts/approvals/inbox").json()
    assert [i["contract_id"] for i in inbox] == [contract.pk]
    step = inbox[0]["step_id"]
    url = f"/api/contracts/approvals/steps/{step}/decisions"
    assert _post(owner, url, {"decision": "approve"}).status_code == 409  # own contract
    assert _post(client_for(world.agent), url, {"decision": "approve"}).status_code == 404
    first = _post(finance, url, {"decision": "approve", "comment": "同意"})
    assert first.status_code == 201 and len(first.json()["hash"]) == 64
    assert _post(finance, url, {"decision": "approve"}).status_code == 409
    assert finance.get("/api/contracts/approvals/inbox").json() == []
    audit = client_for(world.auditor).get("/api/contracts/verify").json()
    assert audit == {"contracts": 1, "decisions": 1, "problems": []}


def test_change_order_over_the_api(world):
    s = setup(world)
    contract = draft(world, s)
    client = client_for(world.account_manager)
    response = _post(
        client, f"/api/contracts/{contract.pk}/changes", {"reason": "加量", "elements": elements()}
    )
    assert response.status_code == 409  # a draft is edited, not changed
    update = {**elements(title="改名"), "version": contract.version}
    response = client.put(
        f"/api/contracts/{contract.pk}", json.dumps(update), content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["title"] == "改名"


def test_library_template_refuses_unknown_placeholders(world):
    s = setup(world)
    legal = client_for(s.legal)
    response = _post(
        legal,
        "/api/contracts/templates",
        {
            "contract_type_id": s.contract_type.pk,
            "name": "t",
            "language": "zh-hans",
            "body": "{{ nonsense }}",
        },
    )
    assert (
        response.status_code == 422 and "{{ nonsense }}" in response.json()["errors"][0]["message"]
    )
    clause = {
        "code": "payment",
        "title_zh": "付款",
        "title_en": "Payment",
        "text_zh": "三十日内付款。",
        "text_en": "Within 30 days.",
    }
    assert _post(legal, "/api/contracts/clauses", clause).json()["version"] == 1
    assert _post(legal, "/api/contracts/clauses", clause).json()["version"] == 2
    ok = _post(
        legal,
        "/api/contracts/templates",
        {
            "contract_type_id": s.contract_type.pk,
            "name": "t",
            "language": "zh-hans",
            "body": "{{ number }}\n{{ clause:payment }}",
        },
    )
    assert ok.status_code == 201
    assert (
        _post(client_for(world.account_manager), "/api/contracts/clauses", clause).status_code
        == 403
    )
    rule = RiskRule.objects.get(code="automatic-renewal")
    patched = legal.patch(
        f"/api/contracts/risk-rules/{rule.pk}",
        json.dumps({"version": rule.version, "parameter": "(("}),
        content_type="application/json",
    )
    assert patched.status_code == 422


def test_customers_and_auditors(world):
    s = setup(world)
    contract = draft(world, s)
    customer = client_for(world.customer_a)
    assert customer.get("/api/contracts").status_code == 403
    assert customer.get(f"/api/contracts/{contract.pk}").status_code == 404
    auditor = client_for(world.auditor)
    assert auditor.get(f"/api/contracts/{contract.pk}").status_code == 200
    response = _post(
        auditor,
        f"/api/contracts/{contract.pk}/transitions",
        {"to": "cancelled", "version": contract.version, "reason": "x"},
    )
    assert response.status_code == 403
