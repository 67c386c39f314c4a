"""/api/incidents: declare, patch with versions, link, timeline, notify, close, permissions."""

from __future__ import annotations

import pytest

from kehu.access.services import api_token_create
from kehu.conftest import client_for
from kehu.desk.models import Message
from kehu.desk.tests.factories import contact, ticket
from kehu.incidents import services
from kehu.incidents.models import IncidentStatus, MajorIncident, TimelineEntry


@pytest.fixture
def api(world):
    """The agent's API client with a bearer token, as an integration would call it."""
    client = client_for(None)
    secret = api_token_create(user=world.agent, name="tests").secret
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


@pytest.fixture
def tickets(world):
    return [
        ticket(world.support, contact_=contact("甲公司")),
        ticket(world.support, contact_=contact("乙公司")),
    ]


def _declare(api, **payload):
    response = api.post(
        "/api/incidents", {"title": "机房断电", **payload}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_declare_with_tickets_adds_accounts(api, world, tickets):
    body = _declare(
        api,
        severity="sev1",
        ticket_ids=[t.pk for t in tickets],
        response_department_ids=[world.support.pk],
    )
    assert body["reference"] == f"MI-{body['id']}"
    assert body["status"] == "declared"
    assert body["ticket_ids"] == [t.pk for t in tickets]
    assert body["affected_account_ids"] == sorted(t.account_id for t in tickets)
    assert body["open_ticket_count"] == 2
    assert body["response_department_ids"] == [world.support.pk]


def test_declare_with_unknown_ids_is_422(api):
    response = api.post(
        "/api/incidents",
        {"title": "x", "ticket_ids": [987654], "commander_id": None},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "ticket_ids"
    assert not MajorIncident.objects.exists()


def test_patch_with_stale_version_is_409(api):
    body = _declare(api)
    url = f"/api/incidents/{body['id']}"
    fresh = api.patch(
        url,
        {"version": body["version"], "status": "investigating"},
        content_type="application/json",
    )
    assert fresh.status_code == 200
    assert fresh.json()["version"] == body["version"] + 1
    stale = api.patch(
        url, {"version": body["version"], "title": "覆盖"}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert MajorIncident.objects.get(pk=body["id"]).title == "机房断电"


def test_patch_cannot_close(api):
    body = _declare(api)
    response = api.patch(
        f"/api/incidents/{body['id']}",
        {"version": body["version"], "status": "closed"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "status", "message": "Close an incident with its post-incident review."}
    ]


def test_link_unlink_and_timeline(api, tickets):
    body = _declare(api)
    url = f"/api/incidents/{body['id']}"
    linked = api.post(
        f"{url}/tickets", {"ticket_ids": [tickets[0].pk]}, content_type="application/json"
    )
    assert linked.json()["affected_account_ids"] == [tickets[0].account_id]
    assert api.delete(f"{url}/tickets/{tickets[0].pk}").status_code == 204
    assert api.delete(f"{url}/tickets/{tickets[0].pk}").status_code == 422  # not linked now

    added = api.post(
        f"{url}/timeline",
        {"kind": "internal", "text": "值班经理已到场"},
        content_type="application/json",
    )
    assert added.status_code == 201
    forged = api.post(
        f"{url}/timeline", {"kind": "status", "text": "Closed"}, content_type="application/json"
    )
    assert forged.status_code == 422
    entries = api.get(f"{url}/timeline").json()["results"]
    assert [e["kind"] for e in entries] == ["status", "internal", "internal", "internal"]
    assert entries[-1]["text"] == "值班经理已到场"


def test_notify_is_idempotent(api, tickets):
    body = _declare(api, ticket_ids=[t.pk for t in tickets])
    url = f"/api/incidents/{body['id']}/notify"
    first = api.post(url, {"text": "正在恢复服务"}, content_type="application/json").json()
    second = api.post(url, {"text": "正在恢复服务"}, content_type="application/json").json()
    assert sorted(first["posted_ticket_ids"]) == sorted(t.pk for t in tickets)
    assert first["timeline_entry_id"] is not None
    assert second == {
        "notice_key": first["notice_key"],
        "posted_ticket_ids": [],
        "already_notified": 2,
        "timeline_entry_id": None,
    }
    assert Message.objects.filter(body="正在恢复服务", kind=Message.Kind.PUBLIC).count() == 2
    entry = TimelineEntry.objects.get(kind=TimelineEntry.Kind.CUSTOMER_NOTICE)
    assert entry.notified_count == 2


def test_close_needs_the_review(api, world):
    body = _declare(api)
    incident = services.incident_update(
        MajorIncident.objects.get(pk=body["id"]),
        actor=world.agent,
        expected_version=body["version"],
        changes={"status": IncidentStatus.RESOLVED},
    )
    url = f"/api/incidents/{body['id']}/close"
    refused = api.post(url, {"version": incident.version}, content_type="application/json")
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {
        "review_summary",
        "review_root_cause",
    }
    closed = api.post(
        url,
        {"version": incident.version, "review_summary": "断电", "review_root_cause": "UPS"},
        content_type="application/json",
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["review_completed_at"] is not None


@pytest.mark.parametrize(
    "persona,read,write",
    [
        ("agent", 200, 201),
        ("lead", 200, 201),
        ("admin", 200, 201),
        ("auditor", 200, 403),
        ("employee", 200, 403),
        ("customer_a", 403, 403),
        ("outsider", 403, 403),
    ],
)
def test_api_permissions(world, persona, read, write):
    incident = services.incident_declare(services.NewIncident(title="断网"), actor=world.agent)
    client = client_for(getattr(world, persona))
    assert client.get("/api/incidents").status_code == read
    assert client.get(f"/api/incidents/{incident.pk}").status_code == (200 if read == 200 else 404)
    created = client.post("/api/incidents", {"title": "新事件"}, content_type="application/json")
    assert created.status_code == write
    notify = client.post(
        f"/api/incidents/{incident.pk}/notify", {"text": "x"}, content_type="application/json"
    )
    assert notify.status_code == (200 if write == 201 else 403 if read == 200 else 404)


def test_list_filters_and_query_count(api, world, django_assert_max_num_queries):
    for i in range(12):
        made = [ticket(world.support, contact_=contact(f"公司{i}-{j}")) for j in range(3)]
        services.incident_declare(
            services.NewIncident(title=f"事件{i}", tickets=made), actor=world.agent
        )
    with django_assert_max_num_queries(12):
        page = api.get("/api/incidents?page_size=50")
    results = page.json()["results"]
    assert len(results) == 12
    assert all(len(r["ticket_ids"]) == 3 for r in results)
    account = MajorIncident.objects.get(title="事件3").affected_accounts.first()
    only = api.get(f"/api/incidents?account_id={account.pk}").json()["results"]
    assert [r["title"] for r in only] == ["事件3"]
    assert api.get("/api/incidents?status=closed").json()["results"] == []
