"""Delivery: quiet hours, exactly once, real SMTP, real HTTP with signatures and backoff."""

import hashlib
import hmac
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from kehu.conftest import client_for, free_port
from kehu.desk import tickets
from kehu.desk.models import DeskSettings, Ticket
from kehu.desk.tests import factories as f
from kehu.notify import delivery, services
from kehu.notify.models import DeliveryStatus, EmailState, Notification, Webhook, WebhookDelivery
from kehu.notify.tasks import run_delivery

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SATURDAY_NOON = datetime(2026, 3, 7, 12, 0, tzinfo=SHANGHAI)
MONDAY_NINE = datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)


def _warn(queue, *, urgent, now):
    return services.notify_event(
        "sla.warning",
        queue.ticket,
        None,
        {"recipient_ids": [queue.agent.pk], "urgent": urgent, "target": "first_response"},
        now=now,
    )


@pytest.fixture
def office_hours(world):
    DeskSettings.objects.create(department=world.support, working_calendar=f.office_calendar())


def test_non_urgent_email_waits_for_working_hours(queue, office_hours):
    [note] = _warn(queue, urgent=False, now=SATURDAY_NOON)
    assert note.send_after == MONDAY_NINE
    assert delivery.deliver_pending(now=SATURDAY_NOON + timedelta(hours=40)) == 0
    assert mail.outbox == []
    assert delivery.deliver_pending(now=MONDAY_NINE) == 1
    assert mail.outbox[0].to == ["agent@example.com"]


def test_urgent_email_goes_at_once_even_in_quiet_hours(queue, office_hours):
    [note] = _warn(queue, urgent=True, now=SATURDAY_NOON)
    assert note.send_after == SATURDAY_NOON
    assert delivery.deliver_pending(now=SATURDAY_NOON) == 1
    assert mail.outbox[0].subject.startswith("[Urgent]")


def test_in_working_hours_email_goes_at_once(queue, office_hours):
    tuesday = datetime(2026, 3, 10, 10, 30, tzinfo=SHANGHAI)
    assert _warn(queue, urgent=False, now=tuesday)[0].send_after == tuesday
    lunch = datetime(2026, 3, 10, 12, 30, tzinfo=SHANGHAI)
    assert _warn(queue, urgent=False, now=lunch)[0].send_after == lunch.replace(hour=13, minute=0)


def test_without_a_working_calendar_email_goes_at_once(queue):
    assert _warn(queue, urgent=False, now=SATURDAY_NOON)[0].send_after == SATURDAY_NOON


def test_each_email_is_sent_exactly_once(queue):
    _warn(queue, urgent=True, now=SATURDAY_NOON)
    assert delivery.deliver_pending(now=SATURDAY_NOON) == 1
    assert delivery.deliver_pending(now=SATURDAY_NOON) == 0
    assert len(mail.outbox) == 1
    assert Notification.objects.get().email_state == EmailState.SENT


def test_a_row_claimed_by_another_worker_is_left_alone(queue):
    [note] = _warn(queue, urgent=True, now=SATURDAY_NOON)
    assert delivery._claim_notification(note.pk, SATURDAY_NOON)  # the other worker won
    assert delivery.deliver_pending(now=SATURDAY_NOON) == 0
    assert mail.outbox == []
    # If that worker died, the row is taken over once its lease ran out.
    assert delivery.deliver_pending(now=SATURDAY_NOON + delivery.CLAIM_LEASE * 2) == 1


def test_the_periodic_delivery_task_delivers_notifications(queue):
    services.notify_event("sla.warning", queue.ticket, None, {"recipient_ids": [queue.agent.pk]})
    result = run_delivery.call()
    assert result["notifications_delivered"] == 1
    assert len(mail.outbox) == 1


def test_notification_email_arrives_over_smtp_in_the_recipients_language(world, queue, smtp_server):
    world.agent.language = "zh-hans"
    world.agent.save()
    Ticket.objects.filter(pk=queue.ticket.pk).update(priority="urgent")
    queue.ticket.refresh_from_db()
    services.notify_event(
        "sla.escalation",
        queue.ticket,
        None,
        {"recipient_ids": [queue.agent.pk], "urgent": True, "level": 1},
    )
    assert delivery.deliver_pending() == 1
    for _ in range(50):  # the SMTP server hands the message over on its own thread
        if smtp_server.messages:
            break
        time.sleep(0.05)
    [message] = smtp_server.messages
    assert message["To"] == "agent@example.com"
    assert queue.ticket.reference in str(message["Subject"]) or queue.ticket.reference in (
        message.get_payload(decode=True).decode()
    )
    body = message.get_payload(decode=True).decode()
    assert "紧急" in body  # the priority, in the agent's language
    assert f"/desk/tickets/{queue.ticket.pk}/" in body
    # Threaded per ticket in the mail client, and marked as automatic mail.
    assert message["References"].startswith(f"<kh-ticket-{queue.ticket.pk}@")
    assert message["Message-ID"].startswith("<kh-notification-")
    assert message["Auto-Submitted"] == "auto-generated"


def _verify(secret: str, body: bytes, header: str) -> bool:
    """The receiver's check, as documented in docs/webhooks.md."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_webhook_arrives_signed_and_its_hmac_verifies(world, queue, deliver, http_receiver):
    hook = Webhook.objects.create(
        name="ERP", url=http_receiver.url, secret="top-secret", events=["ticket.message_added"]
    )
    Webhook.objects.create(
        name="Other", url=http_receiver.url, secret="x", events=["ticket.closed"]
    )
    deliver(tickets.add_message, queue.ticket, actor=world.agent, body="公开回复内容")
    [request] = http_receiver.requests  # only the subscribed webhook
    headers = request["headers"]
    assert _verify("top-secret", request["body"], headers["X-Kehu-Signature"])
    assert not _verify("wrong-secret", request["body"], headers["X-Kehu-Signature"])
    assert headers["X-Kehu-Event"] == "ticket.message_added"
    delivery_row = WebhookDelivery.objects.get(webhook=hook)
    assert headers["X-Kehu-Delivery"] == str(delivery_row.pk)
    payload = request["json"]
    assert payload["event"] == "ticket.message_added"
    assert payload["ticket"]["reference"] == queue.ticket.reference
    assert payload["ticket"]["assignee"]["id"] == queue.agent.pk
    assert payload["ticket"]["account"]["id"] == queue.contact.account_id
    assert payload["data"]["message"]["body"] == "公开回复内容"
    assert delivery_row.status == DeliveryStatus.SUCCEEDED and delivery_row.response_code == 200


def test_failing_endpoint_is_retried_with_backoff_then_marked_failed(queue, http_receiver):
    http_receiver.status = 503
    Webhook.objects.create(name="Down", url=http_receiver.url, secret="s", events=["sla.warning"])
    now = SATURDAY_NOON
    services.notify_event("sla.warning", queue.ticket, None, {"recipient_ids": []}, now=now)
    waits = []
    for _ in range(delivery.MAX_ATTEMPTS):
        assert delivery.deliver_webhooks(now=now) == 1
        row = WebhookDelivery.objects.get()
        if row.next_attempt_at is None:
            break
        waits.append(row.next_attempt_at - now)
        # Not due a moment before the wait is over.
        assert delivery.deliver_webhooks(now=row.next_attempt_at - timedelta(seconds=1)) == 0
        now = row.next_attempt_at
    assert [w // timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 64]
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.FAILED and row.attempts == delivery.MAX_ATTEMPTS
    assert row.response_code == 503 and len(row.attempt_log) == delivery.MAX_ATTEMPTS
    assert row.last_error == "HTTP 503"  # the status only, never the endpoint's answer
    assert len(http_receiver.requests) == delivery.MAX_ATTEMPTS
    assert delivery.deliver_webhooks(now=now + timedelta(days=1)) == 0


def test_unreachable_endpoint_is_a_failed_attempt_not_an_error(queue):
    Webhook.objects.create(
        name="Nowhere", url=f"http://127.0.0.1:{free_port()}/", secret="s", events=["sla.warning"]
    )
    services.notify_event("sla.warning", queue.ticket, None, {}, now=SATURDAY_NOON)
    assert delivery.deliver_webhooks(now=SATURDAY_NOON) == 1
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.PENDING and row.response_code is None
    assert row.last_error == "refused"


def test_send_test_from_the_admin_page_reaches_the_endpoint(world, http_receiver):
    hook = Webhook.objects.create(name="CRM", url=http_receiver.url, secret="k", events=["ping"])
    response = client_for(world.admin).post(f"/notify/webhooks/{hook.pk}/test/", follow=True)
    assert b"HTTP 200" in response.content
    [request] = http_receiver.requests
    assert request["json"]["event"] == "ping"
    assert _verify("k", request["body"], request["headers"]["X-Kehu-Signature"])


# available_apps: on PostgreSQL the flush afterwards must TRUNCATE … CASCADE (see test_browser).
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_two_workers_at_once_send_each_email_and_webhook_once(world, http_receiver):
    hook = Webhook.objects.create(name="ERP", url=http_receiver.url, secret="s", events=["ping"])
    now = SATURDAY_NOON
    for n in range(8):
        Notification.objects.create(
            recipient=world.agent,
            event="sla.warning",
            title=f"通知 {n}",
            email_state=EmailState.PENDING,
            send_after=now,
        )
        WebhookDelivery.objects.create(
            webhook=hook, event="ping", payload={"n": n}, next_attempt_at=now
        )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            delivery.deliver_pending(now=now)
        except BaseException as exc:  # reported below, a thread cannot fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(m.subject for m in mail.outbox) == sorted(f"通知 {n}" for n in range(8))
    assert sorted(r["json"]["n"] for r in http_receiver.requests) == list(range(8))
