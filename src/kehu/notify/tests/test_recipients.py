"""Who hears of each ticket event, and that internal notes never reach customers."""

import pytest
from django.core import mail

from kehu.access.models import Role
from kehu.conftest import DepartmentFactory, EmployeeFactory, make_user
from kehu.desk import tickets
from kehu.desk.models import Message
from kehu.desk.tests import factories as f
from kehu.notify import services
from kehu.notify.delivery import deliver_pending
from kehu.notify.models import EmailState, Notification, Webhook, WebhookDelivery

pytestmark = pytest.mark.django_db


def _told(event=None):
    rows = Notification.objects.all()
    if event:
        rows = rows.filter(event=event)
    return sorted(rows.values_list("recipient__username", flat=True))


def test_new_ticket_goes_to_its_assignee_and_an_unassigned_one_to_the_head(world, queue, deliver):
    deliver(f.ticket, world.support, contact_=queue.contact, assignee=queue.agent)
    assert _told("ticket.created") == ["agent"]
    Notification.objects.all().delete()
    deliver(f.ticket, world.support, contact_=queue.contact)
    assert _told("ticket.created") == ["lead"]
    assert "queue" in Notification.objects.get().title


def test_nobody_is_told_what_they_did_themselves(world, queue, deliver):
    deliver(
        f.ticket, world.support, contact_=queue.contact, assignee=queue.agent, actor=world.agent
    )
    assert _told() == []


def test_assignment_goes_to_the_new_assignee(world, queue, deliver):
    other = EmployeeFactory(department=world.support, user=world.employee)
    deliver(
        tickets.update_ticket,
        queue.ticket,
        actor=world.lead,
        expected_version=queue.ticket.version,
        changes={"assignee": other},
    )
    assert _told("ticket.assigned") == ["employee"]


def test_transfer_goes_to_the_head_of_the_receiving_department(world, queue, deliver):
    finance_head_user = make_user("finhead", (Role.EMPLOYEE, None))
    world.finance.head = EmployeeFactory(department=world.finance, user=finance_head_user)
    world.finance.save()
    deliver(
        tickets.transfer,
        queue.ticket,
        actor=world.agent,
        to_department=world.finance,
        reason="属于财务",
    )
    assert _told("ticket.transferred") == ["finhead"]


def test_public_staff_reply_reaches_the_requester_and_watchers_but_not_its_author(
    world, queue, deliver
):
    queue.ticket.watchers.add(world.auditor)
    deliver(tickets.add_message, queue.ticket, actor=world.agent, body="已处理，请重试")
    assert _told("ticket.message_added") == ["auditor", "customer_a"]
    note = Notification.objects.get(recipient=world.customer_a)
    assert note.body == "已处理，请重试" and note.url.endswith(f"/{queue.ticket.pk}/")


def test_requester_reply_reaches_the_assignee_not_the_requester(world, queue, deliver):
    deliver(
        tickets.add_message,
        queue.ticket,
        actor=world.customer_a,
        body="还是不行",
        from_requester=True,
    )
    assert _told("ticket.message_added") == ["agent"]


def test_internal_note_reaches_staff_only_in_inbox_email_and_webhook(
    world, queue, deliver, http_receiver
):
    Webhook.objects.create(
        name="CRM", url=http_receiver.url, secret="s3cret", events=["ticket.message_added"]
    )
    queue.ticket.watchers.add(world.customer_b, world.auditor)  # a careless watcher list
    deliver(
        tickets.add_message,
        queue.ticket,
        actor=world.lead,
        body="客户合同快到期，内部备注",
        kind=Message.Kind.INTERNAL,
    )
    deliver_pending()
    assert _told() == ["agent", "auditor"]
    assert all("内部备注" not in m.body for m in mail.outbox if "customer" in m.to[0])
    assert {m.to[0] for m in mail.outbox} == {"agent@example.com", "auditor@example.com"}
    delivered = WebhookDelivery.objects.get()
    assert delivered.payload["data"]["message"]["body"] is None
    assert "内部备注" not in http_receiver.requests[0]["body"].decode()
    assert http_receiver.requests[0]["json"]["data"]["message"]["kind"] == "internal"


def test_a_customer_of_another_account_never_hears_of_the_ticket(world, queue, deliver):
    queue.ticket.watchers.add(world.customer_b)
    deliver(tickets.add_message, queue.ticket, actor=world.agent, body="公开回复")
    assert "customer_b" not in _told()


def test_sla_events_reach_the_named_employees(world, queue):
    services.notify_event(
        "sla.escalation",
        queue.ticket,
        None,
        {
            "recipient_ids": [queue.head.pk, queue.agent.pk],
            "urgent": True,
            "target": "resolution",
            "level": 2,
            "due_at": "2026-03-02T10:00:00+08:00",
        },
    )
    rows = Notification.objects.order_by("recipient__username")
    assert [r.recipient.username for r in rows] == ["agent", "lead"]
    assert all(r.urgent for r in rows)
    assert "level 2" in rows[0].title and queue.ticket.reference in rows[0].title


def test_preferences_choose_inbox_and_email_per_event(world, queue):
    services.preferences_save(
        user=world.agent, choices={"sla.warning": (False, True), "ticket.assigned": (True, False)}
    )
    services.notify_event("sla.warning", queue.ticket, None, {"recipient_ids": [queue.agent.pk]})
    warning = Notification.objects.get(event="sla.warning")
    assert warning.in_inbox is False and warning.email_state == EmailState.PENDING
    services.notify_event("ticket.assigned", queue.ticket, None, {"assignee_id": queue.agent.pk})
    assigned = Notification.objects.get(event="ticket.assigned")
    assert assigned.in_inbox and assigned.email_state == EmailState.SKIPPED
    # Defaults: a transfer goes to the inbox only.
    choices = {c.event: (c.inbox, c.email) for c in services.preferences_for(world.lead)}
    assert choices["ticket.transferred"] == (True, False)
    assert choices["sla.escalation"] == (True, True)


def test_employee_requester_hears_of_staff_replies(world, deliver):
    department = DepartmentFactory()
    requester = EmployeeFactory(department=department, user=world.employee)
    agent = EmployeeFactory(department=world.support, user=world.agent)
    ticket = f.ticket(world.support, employee=requester, assignee=agent)
    deliver(tickets.add_message, ticket, actor=world.agent, body="请提供工号")
    assert _told() == ["employee"]
