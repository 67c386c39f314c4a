"""The agent's and the requester's pages: intake, conversation, conflicts, attachments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.conftest import DepartmentFactory, EmployeeFactory, ServiceFactory, client_for
from kehu.desk import tickets
from kehu.desk.models import Message, Status, Ticket
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(world):
    f.policy(f.always_calendar(), first=60, nxt=30, resolution=240)
    own = f.contact("甲公司")
    own.user = world.customer_a
    own.save()
    other = f.contact("乙公司")
    other.user = world.customer_b
    other.save()
    return {"own": own, "other": other}


def test_staff_logs_a_phone_call_and_sees_reference_and_promise(world, desk):
    response = client_for(world.agent).post(
        "/desk/tickets/new/",
        {
            "channel": "phone",
            "contact": desk["own"].pk,
            "department": world.support.pk,
            "ticket_type": "incident",
            "impact": "organisation",
            "severity": "high",
            "subject": "电话：系统无法登录",
            "body": "客户来电，全公司无法登录",
            "tags": "登录, VPN",
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert ticket.channel == "phone" and ticket.priority == "high"
    assert sorted(t.name for t in ticket.tags.all()) == ["VPN", "登录"]
    page = response.content.decode()
    assert ticket.reference in page and "first response is promised" in page


def test_a_missing_requester_is_a_form_error_not_a_500(world, desk):
    response = client_for(world.agent).post(
        "/desk/tickets/new/",
        {
            "channel": "web",
            "department": world.support.pk,
            "ticket_type": "question",
            "impact": "individual",
            "severity": "low",
            "subject": "x",
            "body": "y",
        },
    )
    assert response.status_code == 200
    assert "Choose a customer contact or a requesting employee" in response.content.decode()
    assert not Ticket.objects.exists()


def test_two_agents_editing_one_ticket_the_second_gets_409_and_keeps_input(world, desk):
    ticket = f.ticket(world.support, contact_=desk["own"])
    url = f"/desk/tickets/{ticket.pk}/update/"
    base = {
        "version": ticket.version,
        "status": "open",
        "ticket_type": ticket.ticket_type,
        "impact": ticket.impact,
        "severity": ticket.severity,
        "priority": ticket.priority,
    }
    first = client_for(world.agent).post(url, {**base, "tags": "first"})
    assert first.status_code == 302
    second = client_for(world.admin).post(
        url, {**base, "status": "waiting_customer", "tags": "second"}
    )
    assert second.status_code == 409
    assert "changed by someone else" in second.content.decode()
    assert 'value="second"' in second.content.decode()  # the loser's input is still on the form
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert [t.name for t in ticket.tags.all()] == ["first"]


def test_the_portal_never_shows_internal_notes_and_b_cannot_open_a_ticket(world, desk):
    ticket = f.ticket(world.support, contact_=desk["own"])
    tickets.add_message(
        ticket, actor=world.agent, body="客户很难缠（内部）", kind=Message.Kind.INTERNAL
    )
    tickets.add_message(ticket, actor=world.agent, body="您好，已处理")
    page = client_for(world.customer_a).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "您好，已处理" in page and "内部" not in page
    # The staff page sends customers to the portal view, never shows them notes.
    assert client_for(world.customer_a).get(f"/desk/tickets/{ticket.pk}/").status_code == 302
    for url in (f"/portal/tickets/{ticket.pk}/", f"/desk/tickets/{ticket.pk}/"):
        assert client_for(world.customer_b).get(url).status_code == 404
    assert (
        client_for(world.customer_b)
        .post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "hi"})
        .status_code
        == 404
    )


def test_portal_submit_reply_and_close(world, desk):
    client = client_for(world.customer_a)
    response = client.post(
        "/portal/new/",
        {
            "subject": "发票抬头错误",
            "ticket_type": "question",
            "impact": "individual",
            "severity": "low",
            "body": "请重新开具发票",
        },
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert ticket.channel == "portal" and ticket.contact == desk["own"]
    assert ticket.reference in response.content.decode()
    client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "补充：税号如下"})
    assert ticket.messages.filter(from_requester=True).count() == 2
    client.post(f"/portal/tickets/{ticket.pk}/close/")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_internal_request_from_the_service_catalogue(world):
    finance = DepartmentFactory(code="FIN2", name="财务共享中心")
    service = ServiceFactory(department=finance, name="报销审核")
    me = EmployeeFactory(department=world.support, user=world.employee)
    response = client_for(world.employee).post(
        f"/portal/request/{service.pk}/",
        {"subject": "差旅报销", "impact": "individual", "severity": "medium", "body": "请审核"},
        follow=True,
    )
    ticket = Ticket.objects.get()
    assert (ticket.requester_employee, ticket.department, ticket.service) == (me, finance, service)
    assert ticket.channel == "internal" and ticket.requesting_department == world.support
    assert ticket.reference in response.content.decode()


def test_attachments_are_limited_stored_and_permission_checked(world, desk, settings):
    settings.KEHU_ATTACHMENT_MAX_BYTES = 1024
    ticket = f.ticket(world.support, contact_=desk["own"])
    client = client_for(world.customer_a)
    too_big = SimpleUploadedFile("big.pdf", b"x" * 2048, content_type="application/pdf")
    client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "附件", "attachments": too_big})
    assert not ticket.attachments.exists()
    wrong = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "附件", "attachments": wrong})
    assert not ticket.attachments.exists()
    log = SimpleUploadedFile("错误日志.txt", "日志内容".encode(), content_type="text/plain")
    client.post(f"/portal/tickets/{ticket.pk}/reply/", {"body": "附件", "attachments": log})
    attachment = ticket.attachments.get()
    download = client.get(f"/desk/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).decode() == "日志内容"
    assert "attachment" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert (
        client_for(world.customer_b).get(f"/desk/attachments/{attachment.pk}/").status_code == 404
    )


def test_an_internal_note_attachment_is_hidden_from_the_customer(world, desk):
    ticket = f.ticket(world.support, contact_=desk["own"])
    note = SimpleUploadedFile("内部.txt", b"secret", content_type="text/plain")
    tickets.add_message(
        ticket, actor=world.agent, body="内部附件", kind="internal", attachments=[note]
    )
    attachment = ticket.attachments.get()
    assert (
        client_for(world.customer_a).get(f"/desk/attachments/{attachment.pk}/").status_code == 404
    )
    assert client_for(world.agent).get(f"/desk/attachments/{attachment.pk}/").status_code == 200


def test_bulk_status_change_reports_each_ticket(world, desk):
    ok = f.ticket(world.support, contact_=desk["own"])
    closed = f.ticket(world.support, contact_=desk["own"])
    tickets.change_status(closed, Status.RESOLVED, actor=world.agent)
    tickets.change_status(closed, Status.CLOSED, actor=world.agent)
    response = client_for(world.agent).post(
        "/desk/tickets/bulk/",
        {"ids": [ok.pk, closed.pk], "status": "waiting_third_party"},
        follow=True,
    )
    ok.refresh_from_db()
    assert ok.status == Status.WAITING_THIRD_PARTY
    page = response.content.decode()
    assert "1 tickets updated" in page and closed.reference in page


def test_saved_shared_view_appears_for_colleagues(world, desk):
    client_for(world.agent).post(
        "/desk/views/", {"name": "紧急工单", "shared": "on", "query": "priority=urgent"}
    )
    page = client_for(world.lead).get("/desk/tickets/").content.decode()
    assert "紧急工单" in page and "?priority=urgent" in page


def test_queue_queries_do_not_grow_with_tickets(world, desk, django_assert_max_num_queries):
    client = client_for(world.agent)
    for n in range(3):
        f.ticket(world.support, contact_=desk["own"], subject=f"t{n}")
    with django_assert_max_num_queries(12) as few:
        client.get("/desk/tickets/")
    for n in range(12):
        f.ticket(world.support, contact_=desk["other"], subject=f"u{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/desk/tickets/")
    assert response.content.decode().count('data-testid="ticket-row"') == 15


def test_lead_dashboard_counts_overdue(world, desk):
    lead_employee = EmployeeFactory(department=world.aftersales, user=world.lead)
    ticket = f.ticket(world.support, contact_=desk["own"], assignee=lead_employee)
    Ticket.objects.filter(pk=ticket.pk).update(sla_breached=True)
    page = client_for(world.lead).get("/desk/dashboard/").content.decode()
    assert 'data-testid="count-overdue"><strong>1</strong>' in page
    assert lead_employee.name in page


def test_queue_pages_walk_every_open_ticket_once_in_due_order(world, desk):
    from kehu.desk.queues import selectors as queues

    made = [f.ticket(world.support, contact_=desk["own"], subject=f"p{n}") for n in range(7)]
    tickets.change_status(made[0], Status.WAITING_CUSTOMER, actor=world.agent)  # no due time
    seen, cursor = [], None
    while True:
        page = queues.queue_page(queues.queue(world.agent, {}), "due", cursor, size=3)
        seen += page.rows
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(t.pk for t in seen) == sorted(t.pk for t in made)
    assert seen[-1].pk == made[0].pk  # tickets without a due time come last
    dues = [t.next_due_at for t in seen[:-1]]
    assert dues == sorted(dues)


def test_next_page_link_and_a_forged_cursor(world, desk):
    for n in range(55):
        f.ticket(world.support, contact_=desk["own"], subject=f"q{n}")
    client = client_for(world.agent)
    first = client.get("/desk/tickets/", {"sort": "-id"}).content.decode()
    assert first.count('data-testid="ticket-row"') == 50 and 'data-testid="next-page"' in first
    import re

    link = re.search(r'href="\?([^"]+)" data-testid="next-page"', first)
    second = client.get("/desk/tickets/?" + link.group(1).replace("&amp;", "&")).content.decode()
    assert second.count('data-testid="ticket-row"') == 5
    assert client.get("/desk/tickets/", {"after": "not-a-cursor!!"}).status_code == 200


def test_custom_fields_of_the_department_on_the_ticket_page(world, desk):
    from kehu.desk.models import CustomField

    CustomField.objects.create(department=world.support, key="contract_no", label="合同编号")
    CustomField.objects.create(
        department=world.support, key="env", label="环境", kind="choice", options="生产\n测试"
    )
    ticket = f.ticket(world.support, contact_=desk["own"])
    client = client_for(world.agent)
    assert "合同编号" in client.get(f"/desk/tickets/{ticket.pk}/").content.decode()
    base = {
        "version": ticket.version,
        "status": "new",
        "ticket_type": ticket.ticket_type,
        "impact": ticket.impact,
        "severity": ticket.severity,
        "priority": ticket.priority,
    }
    bad = client.post(f"/desk/tickets/{ticket.pk}/update/", {**base, "cf_env": "开发"})
    assert bad.status_code == 400
    client.post(
        f"/desk/tickets/{ticket.pk}/update/",
        {**base, "cf_contract_no": "HT-2026-01", "cf_env": "生产"},
    )
    ticket.refresh_from_db()
    assert ticket.custom_values == {"contract_no": "HT-2026-01", "env": "生产"}


def test_a_lead_sets_up_the_department_desk(world, desk):
    from kehu.desk.models import Category, CustomField, DeskSettings

    lead = client_for(world.lead)
    url = f"/desk/departments/{world.support.pk}/"
    assert lead.get(url).status_code == 200
    lead.post(url, {"version": 1, "assignment_strategy": "round_robin", "auto_close_days": 3})
    assert DeskSettings.objects.get(department=world.support).assignment_strategy == "round_robin"
    stale = lead.post(url, {"version": 1, "assignment_strategy": "manual", "auto_close_days": 3})
    assert stale.status_code == 409
    lead.post(f"{url}categories/", {"name": "账单", "name_en": "Billing"})
    lead.post(
        f"{url}fields/", {"key": "order_no", "label": "订单号", "kind": "text", "position": 0}
    )
    bad = lead.post(
        f"{url}fields/", {"key": "env", "label": "环境", "kind": "choice", "position": 0}
    )
    assert "at least one option" in bad.content.decode()
    assert Category.objects.filter(department=world.support, name="账单").exists()
    assert list(CustomField.objects.values_list("key", flat=True)) == ["order_no"]
    # Another department's lead-less staff cannot change it.
    assert client_for(world.agent).post(f"{url}categories/", {"name": "x"}).status_code == 403
    assert client_for(world.lead).get(f"/desk/departments/{world.finance.pk}/").status_code == 403


def test_ticket_page_links_the_complaint_record_and_major_incidents(world, desk):
    from kehu.incidents.models import MajorIncident

    ticket = f.ticket(world.support, contact_=desk["own"], ticket_type="complaint")
    incident = MajorIncident.objects.create(title="全网登录故障", declared_by=world.agent)
    incident.tickets.add(ticket)
    page = client_for(world.agent).get(f"/desk/tickets/{ticket.pk}/").content.decode()
    assert f"/feedback/complaints/{ticket.pk}/" in page
    assert f"/incidents/{incident.pk}/" in page and "全网登录故障" in page


def test_the_receiving_department_disputes_a_direction_on_the_ticket_page(world, desk):
    from kehu.access.models import Role
    from kehu.conftest import make_user
    from kehu.desk.models import Dispute

    ticket = f.ticket(world.aftersales, contact_=desk["own"])
    advocate = make_user("advocate", (Role.AFTER_SALES, None))
    record = tickets.transfer(
        ticket, actor=advocate, to_department=world.support, reason="支持部最快", directed=True
    )
    supporter = make_user("supporter", (Role.EMPLOYEE, None))
    EmployeeFactory(user=supporter, department=world.support)
    client = client_for(supporter)
    url = f"/desk/transfers/{record.pk}/dispute/"

    blank = client.post(url, {"reason": ""}, follow=True)
    assert blank.redirect_chain[-1][0] == f"/desk/tickets/{ticket.pk}/"
    assert "Say why the direction was wrong." in blank.content.decode()
    early = client.post(url, {"reason": "不归我们"}, follow=True)
    assert "Work the ticket first" in early.content.decode()
    assert not Dispute.objects.exists()

    tickets.add_message(ticket, actor=supporter, body="我们先看一下")
    filed = client.post(url, {"reason": "不归我们"}, follow=True)
    assert "The dispute was filed." in filed.content.decode()
    assert Dispute.objects.filter(transfer=record).count() == 1
