"""The ticket REST API: who sees what, intake by role, versioned edits, conversation, downloads."""

import base64
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.access.models import Role
from kehu.conftest import EmployeeFactory, ServiceFactory, client_for, make_user
from kehu.desk import tickets
from kehu.desk.models import Attachment, Channel, Message, Status, Ticket
from kehu.desk.tests import factories as f
from kehu.desk.tickets import intake

pytestmark = pytest.mark.django_db

API = "/api/desk/tickets"


@pytest.fixture
def desk(world):
    """Two customer accounts with a ticket each, in the support queue with a 60-minute promise."""
    f.policy(f.always_calendar(), first=60, nxt=30, resolution=240)
    contact_a = f.contact("甲公司")
    contact_a.user = world.customer_a
    contact_a.save()
    contact_b = f.contact("乙公司")
    contact_b.user = world.customer_b
    contact_b.save()
    world.contact_a, world.contact_b = contact_a, contact_b
    world.ticket_a = f.ticket(world.support, contact_=contact_a, subject="甲的打印机")
    world.ticket_b = f.ticket(world.support, contact_=contact_b, subject="乙的网络")
    return world


def _post_message(user, ticket, body, kind="public", files=()):
    data = {"body": body, "kind": kind}
    if files:
        data["attachments"] = list(files)
    return client_for(user).post(f"{API}/{ticket.pk}/messages", data)


def _text_file(name="报告 2024.txt", content=b"hello"):
    return SimpleUploadedFile(name, content, content_type="text/plain")


# --- who sees what -----------------------------------------------------------------------------


def test_customer_lists_and_reads_only_their_own_accounts_tickets(desk):
    client = client_for(desk.customer_a)
    listed = client.get(API)
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["results"]] == [desk.ticket_a.pk]

    assert client.get(f"{API}/{desk.ticket_a.pk}").status_code == 200
    for url in (
        f"{API}/{desk.ticket_b.pk}",
        f"{API}/{desk.ticket_b.pk}/messages",
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Not found.", "errors": []}

    # Searching for B's reference or subject finds nothing either.
    assert client.get(API, {"q": desk.ticket_b.reference}).json()["results"] == []
    assert client.get(API, {"q": "乙的网络"}).json()["results"] == []
    assert client.get(API, {"account_id": desk.contact_b.account_id}).json()["results"] == []


def test_customer_never_gets_internal_notes_or_their_attachments(desk):
    note = _post_message(
        desk.agent, desk.ticket_a, "客户很难缠", "internal", [_text_file("内部.txt")]
    )
    assert note.status_code == 201, note.content
    reply = _post_message(desk.agent, desk.ticket_a, "我们在处理", files=[_text_file()])
    assert reply.status_code == 201
    note_file = note.json()["attachments"][0]["id"]
    public_file = reply.json()["attachments"][0]["id"]

    customer = client_for(desk.customer_a)
    messages = customer.get(f"{API}/{desk.ticket_a.pk}/messages").json()
    assert [m["kind"] for m in messages] == ["public", "public"]
    assert "客户很难缠" not in str(messages)
    assert customer.get(f"{API}/attachments/{note_file}").status_code == 404

    staff_view = client_for(desk.agent).get(f"{API}/{desk.ticket_a.pk}/messages").json()
    assert [m["kind"] for m in staff_view] == ["public", "internal", "public"]

    download = customer.get(f"{API}/attachments/{public_file}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"hello"
    assert download["X-Content-Type-Options"] == "nosniff"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote('报告 2024.txt')}" in disposition

    # Customer B gets nothing of A's, not even the public file.
    other = client_for(desk.customer_b)
    assert other.get(f"{API}/attachments/{public_file}").status_code == 404
    assert other.get(f"{API}/attachments/{note_file}").status_code == 404


def test_outsider_and_anonymous_get_nothing(desk):
    assert client_for(None).get(API).status_code == 401
    assert client_for(desk.outsider).get(API).status_code == 403
    assert client_for(desk.outsider).get(f"{API}/{desk.ticket_a.pk}").status_code == 404


def test_employee_sees_their_departments_queue_only(desk):
    EmployeeFactory(user=desk.employee, department=desk.finance)
    finance_ticket = f.ticket(desk.finance)
    listed = client_for(desk.employee).get(API).json()["results"]
    assert [t["id"] for t in listed] == [finance_ticket.pk]
    assert client_for(desk.employee).get(f"{API}/{desk.ticket_a.pk}").status_code == 404


# --- read, filter, sort ------------------------------------------------------------------------


def test_detail_has_sla_clocks_and_an_etag(desk):
    response = client_for(desk.agent).get(f"{API}/{desk.ticket_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == f'W/"{body["version"]}"'
    assert body["reference"] == desk.ticket_a.reference
    assert body["sla"]["policy_name"] == "Standard"
    assert body["sla"]["breached"] is False and body["sla"]["escalation_level"] == 0
    targets = {c["target"]: c for c in body["clocks"]}
    assert set(targets) == {"first_response", "resolution"}
    assert targets["first_response"]["target_minutes"] == 60
    assert targets["first_response"]["stopped_at"] is None
    assert body["promise"]["first_response_minutes"] == 60


def test_filters_and_orderings(desk):
    agent_employee = EmployeeFactory(user=desk.agent, department=desk.support)
    urgent = f.ticket(desk.support, impact="widespread", severity="critical")
    tickets.update_ticket(
        urgent,
        actor=desk.agent,
        expected_version=urgent.version,
        changes={"assignee": agent_employee, "status": Status.OPEN},
        tags=["vip"],
    )
    Ticket.objects.filter(pk=desk.ticket_b.pk).update(sla_breached=True)
    client = client_for(desk.agent)

    def ids(**params):
        response = client.get(API, params)
        assert response.status_code == 200, response.content
        return [t["id"] for t in response.json()["results"]]

    assert ids(assignee_id="me") == [urgent.pk]
    assert ids(assignee_id=agent_employee.pk) == [urgent.pk]
    assert set(ids(assignee_id="none")) == {desk.ticket_a.pk, desk.ticket_b.pk}
    assert ids(status=["open"]) == [urgent.pk]
    assert set(ids(status=["open", "new"])) == {urgent.pk, desk.ticket_a.pk, desk.ticket_b.pk}
    assert ids(tag="vip") == [urgent.pk]
    assert ids(breached="true") == [desk.ticket_b.pk]
    assert ids(priority=["urgent"]) == [urgent.pk]
    assert ids(account_id=desk.contact_a.account_id) == [desk.ticket_a.pk]
    assert ids(ordering="priority")[0] == urgent.pk
    assert ids(ordering="id") == sorted(ids(ordering="-id"))
    assert ids(created_after="2000-01-01T00:00:00Z", created_before="2001-01-01T00:00:00Z") == []
    due = ids(ordering="next_due_at")
    assert len(due) == 3

    forged = base64.b64encode(b"p=abc").decode()
    for bad in (
        {"ordering": "password"},
        {"ordering": "--id"},
        {"status": "nope"},
        {"assignee_id": "you"},
        {"ordering": "priority", "cursor": forged},
        {"ordering": "next_due_at", "cursor": forged},
        {"cursor": "%%%"},
    ):
        response = client.get(API, bad)
        assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_cursor_pages_through_everything_once(desk):
    for n in range(5):
        f.ticket(desk.support, subject=f"第{n}个")
    client = client_for(desk.agent)
    seen, url = [], f"{API}?page_size=2&ordering=next_due_at"
    while url:
        page = client.get(url).json()
        seen += [t["id"] for t in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(Ticket.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen))


def test_list_query_count_does_not_grow_with_tickets(desk, django_assert_max_num_queries):
    def count(user):
        client = client_for(user)
        client.get(API)  # warm-up: session and caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API).status_code == 200
        return len(captured)

    small = {user: count(user) for user in (desk.agent, desk.customer_a)}
    for n in range(12):
        ticket = f.ticket(desk.support, contact_=desk.contact_a, subject=f"批量{n}")
        ticket.tags.set(intake.tags_named([f"t{n}", "common"]))
    large = {user: count(user) for user in (desk.agent, desk.customer_a)}
    assert large == small
    client = client_for(desk.agent)
    with django_assert_max_num_queries(8):  # session, user, roles, page, tags
        client.get(API)


# --- intake ------------------------------------------------------------------------------------


def test_staff_create_returns_reference_and_promised_first_response(desk):
    response = client_for(desk.agent).post(
        API,
        {
            "subject": "电话报修",
            "body": "客户来电说系统打不开",
            "contact_id": desk.contact_a.pk,
            "department_id": desk.support.pk,
            "channel": "phone",
            "impact": "organisation",
            "severity": "high",
            "tags": ["电话"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(pk=body["id"])
    assert body["reference"] == f"KH-{ticket.pk}"
    assert (ticket.channel, ticket.contact_id, ticket.account_id) == (
        Channel.PHONE,
        desk.contact_a.pk,
        desk.contact_a.account_id,
    )
    assert body["promise"]["first_response_minutes"] == 60
    promised = ticket.created_at + timedelta(minutes=60)
    assert body["promise"]["first_response_due_at"].startswith(promised.strftime("%Y-%m-%dT%H:%M"))
    assert body["tags"] == ["电话"]


def test_portal_customer_creates_for_themselves_only(desk):
    client = client_for(desk.customer_a)
    payload = {
        "subject": "发票问题",
        "body": "发票抬头错了",
        "department_id": desk.support.pk,
        "priority": "urgent",
        "priority_reason": "我很急",
    }
    response = client.post(API, payload, content_type="application/json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.channel == Channel.PORTAL and ticket.contact_id == desk.contact_a.pk
    assert ticket.priority == "normal"  # the desk decides priority, not the customer
    assert response.json()["promise"]["first_response_due_at"] is not None

    other = client.post(
        API, {**payload, "contact_id": desk.contact_b.pk}, content_type="application/json"
    )
    assert other.status_code == 404
    assert not Ticket.objects.filter(contact=desk.contact_b, channel=Channel.PORTAL).exists()


def test_employee_requests_a_catalogued_service(desk):
    EmployeeFactory(user=desk.employee, department=desk.finance)
    service = ServiceFactory(department=desk.support, name="电脑维修")
    response = client_for(desk.employee).post(
        API,
        {"subject": "电脑坏了", "body": "开不了机", "service_id": service.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.channel == Channel.INTERNAL
    assert ticket.department_id == desk.support.pk
    assert ticket.requester_employee.user_id == desk.employee.pk
    assert ticket.requesting_department_id == desk.finance.pk
    # The requester sees it (own request) and may reply as requester, publicly only.
    assert client_for(desk.employee).get(f"{API}/{ticket.pk}").status_code == 200
    assert _post_message(desk.employee, ticket, "补充", "internal").status_code == 403
    assert _post_message(desk.employee, ticket, "补充").json()["from_requester"] is True


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"subject": "", "body": "x"},
        {"subject": "x", "body": "x"},  # no requester
        {"subject": "x", "body": "x", "contact_id": 999999, "department_id": 1},
        {"subject": "x", "body": "x", "contact_id": "abc"},
        {"subject": "x", "body": "x", "contact_id": 1, "department_id": 999999},
        {"subject": "x", "body": "x", "contact_id": 1, "channel": "portal"},
        {"subject": "x" * 300, "body": "x"},
        {"subject": "x", "body": "x", "tags": [""]},
        {"subject": "x", "body": "x", "custom_values": {"a": {"b": 1}}},
    ],
)
def test_bad_create_input_is_a_clear_error_never_a_500(desk, payload):
    if payload.get("contact_id") == 1:
        payload = {**payload, "contact_id": desk.contact_a.pk}
    response = client_for(desk.agent).post(API, payload, content_type="application/json")
    assert response.status_code in (400, 403, 404, 422), response.content
    assert set(response.json()) == {"code", "message", "errors"}


def test_auditor_cannot_create_or_change(desk):
    client = client_for(desk.auditor)
    created = client.post(
        API,
        {"subject": "x", "body": "y", "contact_id": desk.contact_a.pk},
        content_type="application/json",
    )
    assert created.status_code == 403
    patched = client.patch(
        f"{API}/{desk.ticket_a.pk}", {"version": 1, "subject": "z"}, content_type="application/json"
    )
    assert patched.status_code == 403


# --- versioned edits ---------------------------------------------------------------------------


def test_two_agents_patch_with_the_same_version_one_wins_the_other_gets_409(desk):
    second_agent = make_user("agent2", (Role.AGENT, None))
    url = f"{API}/{desk.ticket_a.pk}"
    version = client_for(desk.agent).get(url).json()["version"]
    first = client_for(desk.agent).patch(
        url, {"version": version, "subject": "第一位的标题"}, content_type="application/json"
    )
    second = client_for(second_agent).patch(
        url,
        {"version": version, "subject": "第二位的标题", "tags": ["lost"]},
        content_type="application/json",
    )
    assert first.status_code == 200 and first.json()["version"] == version + 1
    assert second.status_code == 409
    assert second.json()["code"] == "stale_version"
    ticket = Ticket.objects.get(pk=desk.ticket_a.pk)
    assert ticket.subject == "第一位的标题"
    assert not ticket.tags.exists()


def test_patch_fields_and_validation(desk):
    EmployeeFactory(user=desk.agent, department=desk.support)
    client = client_for(desk.agent)
    url = f"{API}/{desk.ticket_a.pk}"
    version = desk.ticket_a.version
    no_reason = client.patch(
        url, {"version": version, "priority": "urgent"}, content_type="application/json"
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "priority_reason"
    assert Ticket.objects.get(pk=desk.ticket_a.pk).version == version  # nothing changed

    bad_transition = client.patch(
        url, {"version": version, "status": "closed"}, content_type="application/json"
    )
    assert bad_transition.status_code == 422
    missing = client.patch(
        url, {"version": version, "category_id": 999999}, content_type="application/json"
    )
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "category_id"

    ok = client.patch(
        url,
        {
            "version": version,
            "priority": "urgent",
            "priority_reason": "上线当天",
            "status": "waiting_customer",
            "assignee_id": desk.agent.employee.pk,
            "tags": ["a", "b"],
        },
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert (body["priority"], body["status"], body["assignee_id"], body["tags"]) == (
        "urgent",
        "waiting_customer",
        desk.agent.employee.pk,
        ["a", "b"],
    )
    assert body["sla"]["next_due_at"] is None  # waiting on the customer pauses the clocks

    # A customer may see the ticket but not edit it.
    customer = client_for(desk.customer_a).patch(
        url, {"version": body["version"], "subject": "x"}, content_type="application/json"
    )
    assert customer.status_code == 403


# --- conversation ------------------------------------------------------------------------------


def test_customer_replies_publicly_as_requester_and_cannot_write_notes(desk):
    ok = _post_message(desk.customer_a, desk.ticket_a, "补充截图", files=[_text_file("截图.png")])
    assert ok.status_code == 201, ok.content
    assert ok.json()["from_requester"] is True and ok.json()["kind"] == "public"
    assert _post_message(desk.customer_a, desk.ticket_a, "偷偷", "internal").status_code == 403
    assert _post_message(desk.customer_b, desk.ticket_a, "我是乙").status_code == 404
    assert not Message.objects.filter(body__in=["偷偷", "我是乙"]).exists()


def test_attachment_limits_give_the_error_shape(desk, settings):
    settings.KEHU_ATTACHMENT_MAX_BYTES = 10
    too_big = _post_message(
        desk.agent, desk.ticket_a, "附件", files=[_text_file(content=b"x" * 11)]
    )
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["field"] == "attachments"
    wrong_type = _post_message(
        desk.agent, desk.ticket_a, "附件", files=[_text_file("run.exe", b"MZ")]
    )
    assert wrong_type.status_code == 422
    assert not Attachment.objects.exists()
    assert _post_message(desk.agent, desk.ticket_a, "").status_code == 422


def test_staff_logs_a_call_on_behalf_of_the_requester(desk):
    response = client_for(desk.agent).post(
        f"{API}/{desk.ticket_a.pk}/messages",
        {"body": "客户来电补充", "on_behalf_of_requester": "true"},
    )
    assert response.status_code == 201
    assert response.json()["from_requester"] is True
    assert response.json()["author_name"] == desk.contact_a.name


def test_no_ticket_operation_lets_customer_a_touch_b(desk):
    """Every operation of the ticket API, with B's ids in every path parameter."""
    from kehu.api import api

    note = _post_message(desk.agent, desk.ticket_b, "内部", "internal", [_text_file()])
    attachment = note.json()["attachments"][0]["id"]
    before = Ticket.objects.get(pk=desk.ticket_b.pk)
    ids = {
        "pk": desk.ticket_b.pk,
        "transfer_id": 1,
        "dispute_id": 1,
        "user_id": desk.customer_b.pk,
    }
    client = client_for(desk.customer_a)
    checked = 0
    for path, operations in api.get_openapi_schema()["paths"].items():
        if not path.startswith(API):
            continue
        url = path.format(**ids)
        if "attachments" in path:
            url = path.format(pk=attachment)
        for method in operations:
            body = {"ids": [desk.ticket_b.pk], "status": "resolved", "version": before.version}
            response = getattr(client, method)(url, body, content_type="application/json")
            if path == API and method in ("get", "post"):
                continue  # their own list and intake
            if path == f"{API}/bulk":
                assert response.json()["failed"][0]["code"] == "not_found"
            else:
                assert response.status_code in (404, 422), (method, url, response.status_code)
            checked += 1
    assert checked >= 14
    after = Ticket.objects.get(pk=desk.ticket_b.pk)
    assert (after.version, after.status, after.subject) == (
        before.version,
        before.status,
        before.subject,
    )
    assert not after.watchers.filter(pk=desk.customer_a.pk).exists()
