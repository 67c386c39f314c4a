import io

import pytest
from django.test import Client

from kehu.access.services import api_token_create
from kehu.audit.models import AuditEntry, Channel
from kehu.conftest import DepartmentFactory, EmployeeFactory, client_for
from kehu.org.models import Department

pytestmark = pytest.mark.django_db


def token_client(user) -> tuple[Client, dict[str, str]]:
    issued = api_token_create(user=user, name="test")
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}


def test_create_read_update_delete_a_department_with_a_token(world):
    client, auth = token_client(world.admin)
    created = client.post(
        "/api/org/departments",
        {
            "code": "OPS",
            "name": "运维部",
            "name_en": "Operations",
            "parent_id": world.aftersales.pk,
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["name"] == "运维部"
        and body["parent_id"] == world.aftersales.pk
        and body["version"] == 1
    )

    read = client.get(f"/api/org/departments/{body['id']}", **auth)
    assert read.status_code == 200 and read["ETag"] == 'W/"1"'

    patched = client.patch(
        f"/api/org/departments/{body['id']}",
        {"name_en": "Ops", "version": 1},
        content_type="application/json",
        **auth,
    )
    assert patched.status_code == 200 and patched.json()["version"] == 2

    history = client.get(f"/api/org/departments/{body['id']}/history", **auth).json()
    assert [h["action"] for h in history] == ["update", "create"]
    assert history[0]["changes"]["name_en"] == ["Operations", "Ops"]
    assert history[0]["channel"] == Channel.API and history[0]["actor_id"] == world.admin.pk

    assert client.delete(f"/api/org/departments/{body['id']}", **auth).status_code == 204
    assert not Department.objects.filter(pk=body["id"]).exists()


def test_stale_update_gets_409_and_changes_nothing(world):
    client, auth = token_client(world.admin)
    url = f"/api/org/departments/{world.finance.pk}"
    first = client.patch(
        url, {"name": "财务中心", "version": 1}, content_type="application/json", **auth
    )
    assert first.status_code == 200
    second = client.patch(
        url, {"name": "会计部", "version": 1}, content_type="application/json", **auth
    )
    assert second.status_code == 409
    assert second.json()["code"] == "stale_version"
    assert Department.objects.get(pk=world.finance.pk).name == "财务中心"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"code": "has space", "name": "x"}, "code"),
        ({"code": "NEWX", "name": "x", "parent_id": 999999}, "parent"),
        ({"code": "AFTERSALES", "name": "dup"}, "code"),
        ({"name": "no code"}, "code"),
    ],
)
def test_invalid_input_gets_422_in_the_one_error_shape(world, payload, field):
    client, auth = token_client(world.admin)
    response = client.post("/api/org/departments", payload, content_type="application/json", **auth)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    assert field in {e["field"] for e in body["errors"]}


def test_deleting_a_department_still_in_use_gets_409(world):
    EmployeeFactory(department=world.finance)
    client, auth = token_client(world.admin)
    response = client.delete(f"/api/org/departments/{world.finance.pk}", **auth)
    assert response.status_code == 409 and response.json()["code"] == "in_use"


def test_unknown_many_to_many_ids_are_rejected_not_crashed(world):
    client, auth = token_client(world.admin)
    response = client.post(
        "/api/org/services",
        {
            "department_id": world.finance.pk,
            "name": "开票",
            "audience": "departments",
            "allowed_departments": [world.support.pk, 424242],
            "response_minutes": 10,
            "resolution_minutes": 60,
        },
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "allowed_departments"


def test_list_is_cursor_paginated_filtered_and_ordered(world):
    for i in range(5):
        DepartmentFactory(code=f"Z{i}", name=f"质检{i}", parent=world.finance)
    client, auth = token_client(world.admin)
    page1 = client.get(
        "/api/org/departments",
        {"page_size": 3, "department": world.finance.pk, "ordering": "-code"},
        **auth,
    ).json()
    assert [d["code"] for d in page1["results"]] == ["Z4", "Z3", "Z2"]
    page2 = client.get(page1["next"], **auth).json()
    assert [d["code"] for d in page2["results"]] == ["Z1", "Z0"]
    assert page2["next"] is None

    by_pinyin = client.get("/api/org/departments", {"q": "caiwu"}, **auth).json()
    assert [d["code"] for d in by_pinyin["results"]] == ["FIN"]

    bad = client.get("/api/org/departments", {"ordering": "password"}, **auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "ordering"


def test_list_uses_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for _ in range(30):
        EmployeeFactory(department=world.support, manager=None)
    client, auth = token_client(world.admin)
    with django_assert_max_num_queries(6):
        response = client.get("/api/org/employees", {"page_size": 30}, **auth)
    assert len(response.json()["results"]) == 30


def test_no_credentials_gets_401_and_a_revoked_token_too(world):
    assert Client().get("/api/org/departments").status_code == 401
    issued = api_token_create(user=world.admin, name="old")
    issued.token.revoked_at = issued.token.created_at
    issued.token.save()
    response = Client().get("/api/org/departments", HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_session_auth_needs_csrf_for_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    assert client.get("/api/org/departments").status_code == 200
    assert (
        client.post(
            "/api/org/departments", {"code": "X1", "name": "x"}, content_type="application/json"
        ).status_code
        == 403
    )


def test_lead_may_change_own_department_tree_but_not_others(world):
    client, auth = token_client(world.lead)
    own = client.patch(
        f"/api/org/departments/{world.support.pk}",
        {"name_en": "Support desk", "version": 1},
        content_type="application/json",
        **auth,
    )
    assert own.status_code == 200
    other = client.patch(
        f"/api/org/departments/{world.finance.pk}",
        {"name_en": "x", "version": 1},
        content_type="application/json",
        **auth,
    )
    assert other.status_code == 403
    sub = client.post(
        "/api/org/departments",
        {"code": "SUB", "name": "下级", "parent_id": world.aftersales.pk},
        content_type="application/json",
        **auth,
    )
    assert sub.status_code == 201
    top = client.post(
        "/api/org/departments",
        {"code": "TOP", "name": "顶级"},
        content_type="application/json",
        **auth,
    )
    assert top.status_code == 403


def test_import_endpoint_reports_rows_and_writes_nothing_on_error(world):
    client, auth = token_client(world.admin)
    upload = io.BytesIO("code,name\nGOOD,好\nbad code,坏\n".encode())
    upload.name = "d.csv"
    response = client.post("/api/org/import/departments", {"file": upload}, **auth)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"line": 3, "column": "code", "message": response.json()["errors"][0]["message"]}
    ]
    assert not Department.objects.filter(code="GOOD").exists()


def test_customers_cannot_read_the_organisation_through_the_api(world):
    client, auth = token_client(world.customer_a)
    assert client.get("/api/org/departments", **auth).status_code == 403
    assert client.get(f"/api/org/departments/{world.finance.pk}", **auth).status_code == 404


def test_tokens_are_listed_without_secrets_and_only_to_their_owner(world):
    admin_client, admin_auth = token_client(world.admin)
    created = admin_client.post(
        "/api/tokens", {"name": "ci"}, content_type="application/json", **admin_auth
    )
    assert created.status_code == 201 and created.json()["token"].startswith("kehu_")
    listed = admin_client.get("/api/tokens", **admin_auth).json()
    assert all("token" not in t for t in listed)
    agent_client, agent_auth = token_client(world.agent)
    assert (
        agent_client.delete(f"/api/tokens/{created.json()['id']}", **agent_auth).status_code == 404
    )


def test_web_edits_are_audited_on_the_web_channel(world):
    client = client_for(world.admin)
    response = client.post(
        f"/org/departments/{world.finance.pk}/edit/",
        {
            "code": "FIN",
            "name": "财务部",
            "name_en": "Finance & Accounting",
            "version": 1,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_pk=str(world.finance.pk), action=1).get()
    assert entry.channel == Channel.WEB and entry.actor == world.admin
    assert entry.changes["name_en"] == ["Finance", "Finance & Accounting"]


def test_api_rate_limit_answers_429_in_the_error_shape(world, monkeypatch):
    from kehu.api import api

    for throttle in api.throttle:
        monkeypatch.setattr(throttle, "num_requests", 3)
    client, auth = token_client(world.agent)
    statuses = [client.get("/api/me", **auth).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3:] == [429, 429]
    assert client.get("/api/me", **auth).json()["code"] == "throttled"
