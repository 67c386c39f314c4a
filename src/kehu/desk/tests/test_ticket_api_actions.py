"""Ticket API actions: transfer and direct, disputes, links, merge, watchers, bulk, and setup."""

import pytest

from kehu.access.models import Role
from kehu.conftest import EmployeeFactory, client_for, make_user
from kehu.desk import tickets
from kehu.desk.models import Category, DeskSettings, Dispute, Status, Ticket, TicketLink
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db

API = "/api/desk/tickets"
JSON = "application/json"


@pytest.fixture
def desk(world):
    f.policy(f.always_calendar(), first=60, nxt=30, resolution=240)
    contact_a = f.contact("甲公司")
    contact_a.user = world.customer_a
    contact_a.save()
    world.contact_a = contact_a
    world.ticket_a = f.ticket(world.aftersales, contact_=contact_a)
    world.advocate = make_user("advocate", (Role.AFTER_SALES, None))
    # Someone who works the support queue (an employee of support).
    world.supporter = make_user("supporter", (Role.EMPLOYEE, None))
    EmployeeFactory(user=world.supporter, department=world.support)
    return world


def _post(user, url, payload):
    return client_for(user).post(url, payload, content_type=JSON)


# --- transfer, direct, dispute -----------------------------------------------------------------


def test_only_after_sales_may_direct(desk):
    url = f"{API}/{desk.ticket_a.pk}/direct"
    payload = {"to_department_id": desk.support.pk, "reason": "支持部最快"}
    assert _post(desk.agent, url, payload).status_code == 403
    assert not desk.ticket_a.transfers.exists()
    response = _post(desk.advocate, url, payload)
    assert response.status_code == 201, response.content
    assert response.json()["directed"] is True
    assert Ticket.objects.get(pk=desk.ticket_a.pk).department_id == desk.support.pk


def test_dispute_needs_work_first_then_a_lead_above_both_decides(desk):
    transfer = _post(
        desk.advocate,
        f"{API}/{desk.ticket_a.pk}/direct",
        {"to_department_id": desk.support.pk, "reason": "支持部最快"},
    ).json()
    dispute_url = f"{API}/{desk.ticket_a.pk}/transfers/{transfer['id']}/dispute"

    # Someone outside the receiving department may not dispute at all.
    assert _post(desk.agent, dispute_url, {"reason": "不归我们"}).status_code == 403

    early = _post(desk.supporter, dispute_url, {"reason": "不归我们"})
    assert early.status_code == 400
    assert "Work the ticket first" in early.json()["message"]
    assert not Dispute.objects.exists()

    # An internal note is not "acting"; a public reply is.
    note = client_for(desk.supporter).post(
        f"{API}/{desk.ticket_a.pk}/messages", {"body": "看一下", "kind": "internal"}
    )
    assert note.status_code == 201
    assert _post(desk.supporter, dispute_url, {"reason": "不归我们"}).status_code == 400
    reply = client_for(desk.supporter).post(
        f"{API}/{desk.ticket_a.pk}/messages", {"body": "您好，我们先处理"}
    )
    assert reply.status_code == 201
    filed = _post(desk.supporter, dispute_url, {"reason": "应该是财务的事"})
    assert filed.status_code == 201, filed.content
    assert filed.json()["outcome"] == "open"
    assert _post(desk.supporter, dispute_url, {"reason": "再来一次"}).status_code == 400

    # The detail shows the transfer and its dispute to staff, not to the customer.
    staff_view = client_for(desk.agent).get(f"{API}/{desk.ticket_a.pk}").json()
    assert staff_view["transfers"][0]["dispute"]["reason"] == "应该是财务的事"
    assert "transfers" not in client_for(desk.customer_a).get(f"{API}/{desk.ticket_a.pk}").json()

    decision_url = f"{API}/{desk.ticket_a.pk}/disputes/{filed.json()['id']}/decision"
    decision = {"version": filed.json()["version"], "outcome": "upheld", "note": "确实"}
    assert _post(desk.supporter, decision_url, decision).status_code == 403
    decided = _post(desk.lead, decision_url, decision)  # leads after-sales and support below it
    assert decided.status_code == 200, decided.content
    assert decided.json()["outcome"] == "upheld"
    again = _post(desk.lead, decision_url, {**decision, "outcome": "dismissed"})
    assert again.status_code == 409
    assert Dispute.objects.get().outcome == Dispute.Outcome.UPHELD


def test_an_ordinary_transfer_cannot_be_disputed(desk):
    transfer = _post(
        desk.agent,
        f"{API}/{desk.ticket_a.pk}/transfer",
        {"to_department_id": desk.support.pk, "reason": "转给支持部"},
    )
    assert transfer.status_code == 201 and transfer.json()["directed"] is False
    response = _post(
        desk.supporter,
        f"{API}/{desk.ticket_a.pk}/transfers/{transfer.json()['id']}/dispute",
        {"reason": "x"},
    )
    assert response.status_code == 400
    same = _post(
        desk.agent,
        f"{API}/{desk.ticket_a.pk}/transfer",
        {"to_department_id": desk.support.pk, "reason": "again"},
    )
    assert same.status_code == 422 and same.json()["errors"][0]["field"] == "to_department"


# --- links, merge, watchers --------------------------------------------------------------------


def test_link_and_merge(desk):
    other = f.ticket(desk.aftersales, contact_=desk.contact_a, subject="重复")
    link = _post(
        desk.agent, f"{API}/{other.pk}/links", {"kind": "related", "target_id": desk.ticket_a.pk}
    )
    assert link.status_code == 201
    assert (
        _post(
            desk.agent,
            f"{API}/{other.pk}/links",
            {"kind": "related", "target_id": desk.ticket_a.pk},
        ).status_code
        == 422
    )  # already linked
    assert (
        _post(
            desk.customer_a, f"{API}/{other.pk}/links", {"kind": "related", "target_id": 999999}
        ).status_code
        == 403
    )

    merged = _post(desk.agent, f"{API}/{other.pk}/merge", {"into_id": desk.ticket_a.pk})
    assert merged.status_code == 200, merged.content
    assert merged.json()["id"] == desk.ticket_a.pk
    other.refresh_from_db()
    assert other.merged_into_id == desk.ticket_a.pk and other.status == Status.CLOSED
    assert TicketLink.objects.filter(source=other, target=desk.ticket_a).exists()
    assert _post(desk.agent, f"{API}/{other.pk}/merge", {"into_id": other.pk}).status_code == 422


def test_watchers(desk):
    url = f"{API}/{desk.ticket_a.pk}/watchers"
    assert _post(desk.auditor, url, {}).status_code == 204  # anyone who sees it watches
    assert desk.ticket_a.watchers.filter(pk=desk.auditor.pk).exists()
    assert _post(desk.customer_a, url, {"user_id": desk.agent.pk}).status_code == 403
    # Staff may add colleagues, never another account's customer.
    assert _post(desk.agent, url, {"user_id": desk.employee.pk}).status_code == 204
    refused = _post(desk.agent, url, {"user_id": desk.customer_b.pk})
    assert refused.status_code == 422
    assert not desk.ticket_a.watchers.filter(pk=desk.customer_b.pk).exists()
    # Watching lets the employee see the ticket.
    assert client_for(desk.employee).get(f"{API}/{desk.ticket_a.pk}").status_code == 200
    remove = client_for(desk.employee).delete(f"{url}/{desk.employee.pk}")
    assert remove.status_code == 204
    assert client_for(desk.customer_a).delete(f"{url}/{desk.auditor.pk}").status_code == 403
    assert desk.ticket_a.watchers.filter(pk=desk.auditor.pk).exists()


# --- bulk --------------------------------------------------------------------------------------


def test_bulk_reports_each_ticket_that_failed(desk):
    second = f.ticket(desk.aftersales)
    closed = f.ticket(desk.aftersales)
    tickets.change_status(closed, Status.RESOLVED, actor=desk.agent)
    tickets.change_status(closed, Status.CLOSED, actor=desk.agent)
    response = _post(
        desk.agent,
        f"{API}/bulk",
        {
            "ids": [desk.ticket_a.pk, closed.pk, 999999, second.pk],
            "status": "resolved",
            "add_tags": ["批量"],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["updated"] == [desk.ticket_a.pk, second.pk]
    failures = {f["id"]: f for f in body["failed"]}
    assert failures[999999]["code"] == "not_found"
    assert failures[closed.pk]["code"] == "invalid"
    assert failures[closed.pk]["errors"][0]["field"] == "status"
    assert Ticket.objects.get(pk=closed.pk).status == Status.CLOSED
    assert not Ticket.objects.get(pk=closed.pk).tags.exists()
    assert list(Ticket.objects.get(pk=second.pk).tags.values_list("name", flat=True)) == ["批量"]


def test_bulk_checks_each_ticket_for_the_person(desk):
    EmployeeFactory(user=desk.employee, department=desk.finance)
    own = f.ticket(desk.finance)
    response = _post(
        desk.employee,
        f"{API}/bulk",
        {"ids": [own.pk, desk.ticket_a.pk], "priority": "high", "priority_reason": "老板催"},
    )
    body = response.json()
    assert body["updated"] == [own.pk]
    assert body["failed"] == [
        {"id": desk.ticket_a.pk, "code": "not_found", "message": "Not found.", "errors": []}
    ]
    assert Ticket.objects.get(pk=desk.ticket_a.pk).priority == "normal"
    customer = _post(desk.customer_a, f"{API}/bulk", {"ids": [desk.ticket_a.pk], "status": "open"})
    assert customer.json()["failed"][0]["code"] == "forbidden"
    assert _post(desk.agent, f"{API}/bulk", {"ids": [desk.ticket_a.pk]}).status_code == 422
    assert _post(desk.agent, f"{API}/bulk", {"ids": []}).status_code == 422


# --- per-department setup ----------------------------------------------------------------------


def test_categories_are_kept_by_leads_of_their_department(desk):
    url = "/api/desk/ticket-categories"
    created = _post(desk.lead, url, {"department_id": desk.support.pk, "name": "账单"})
    assert created.status_code == 201, created.content
    assert _post(desk.lead, url, {"department_id": desk.finance.pk, "name": "x"}).status_code == 403
    assert (
        _post(desk.agent, url, {"department_id": desk.support.pk, "name": "y"}).status_code == 403
    )
    duplicate = _post(desk.lead, url, {"department_id": desk.support.pk, "name": "账单"})
    assert duplicate.status_code == 422

    pk, version = created.json()["id"], created.json()["version"]
    client = client_for(desk.lead)
    renamed = client.patch(f"{url}/{pk}", {"version": version, "name": "发票"}, content_type=JSON)
    assert renamed.status_code == 200 and renamed.json()["name"] == "发票"
    stale = client.patch(f"{url}/{pk}", {"version": version, "name": "x"}, content_type=JSON)
    assert stale.status_code == 409
    listed = client_for(desk.agent).get(url, {"department_id": desk.support.pk}).json()
    assert [c["name"] for c in listed["results"]] == ["发票"]
    assert client_for(desk.customer_a).get(url).status_code == 403
    assert client_for(desk.agent).delete(f"{url}/{pk}").status_code == 403
    assert client.delete(f"{url}/{pk}").status_code == 204
    assert not Category.objects.exists()


def test_custom_fields_validate_and_apply_to_tickets(desk):
    url = "/api/desk/ticket-fields"
    no_options = _post(
        desk.lead,
        url,
        {"department_id": desk.aftersales.pk, "key": "region", "label": "地区", "kind": "choice"},
    )
    assert no_options.status_code == 422
    created = _post(
        desk.lead,
        url,
        {
            "department_id": desk.aftersales.pk,
            "key": "region",
            "label": "地区",
            "kind": "choice",
            "options": "华东\n华北",
        },
    )
    assert created.status_code == 201, created.content
    patch_url = f"{API}/{desk.ticket_a.pk}"
    bad = client_for(desk.agent).patch(
        patch_url, {"version": 1, "custom_values": {"region": "火星"}}, content_type=JSON
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "custom_values"
    good = client_for(desk.agent).patch(
        patch_url, {"version": 1, "custom_values": {"region": "华东"}}, content_type=JSON
    )
    assert good.status_code == 200 and good.json()["custom_values"] == {"region": "华东"}


def test_queue_settings_for_leads_versioned(desk):
    url = f"/api/desk/departments/{desk.support.pk}/queue-settings"
    assert client_for(desk.agent).get(url).status_code == 403
    assert client_for(desk.customer_a).get(url).status_code == 404
    # A refused read creates nothing.
    assert not DeskSettings.objects.filter(department=desk.support).exists()
    lead = client_for(desk.lead)
    current = lead.get(url).json()
    assert current["assignment_strategy"] == "manual"
    payload = {
        "version": current["version"],
        "assignment_strategy": "round_robin",
        "auto_close_days": 3,
        "working_calendar_id": None,
    }
    assert lead.put(url, payload, content_type=JSON).status_code == 200
    assert lead.put(url, payload, content_type=JSON).status_code == 409
    bad_calendar = lead.put(
        url,
        {**payload, "version": current["version"] + 1, "working_calendar_id": 999999},
        content_type=JSON,
    )
    assert bad_calendar.status_code == 422
    stored = DeskSettings.objects.get(department=desk.support)
    assert (stored.assignment_strategy, stored.auto_close_days) == ("round_robin", 3)
    other = f"/api/desk/departments/{desk.finance.pk}/queue-settings"
    assert lead.put(other, payload, content_type=JSON).status_code == 403
