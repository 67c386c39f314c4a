"""Sending what is due: notification emails and webhook deliveries.

Exactly once with several workers: each row is claimed by a conditional UPDATE
(``… WHERE state = 'pending' AND due <= now`` → ``sending``) and only the worker whose UPDATE
changed the row sends it. A worker that dies mid-send leaves the row ``sending``; after
CLAIM_LEASE another worker takes it again (at least once, for that rare case).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core import mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django_tasks import task

from kehu.desk.models import Ticket
from kehu.desk.priority import Priority
from kehu.notify import webhooks
from kehu.notify.models import DeliveryStatus, EmailState, Notification, WebhookDelivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_LEASE = timedelta(minutes=15)
BATCH = 200


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 … minutes."""
    return timedelta(minutes=2 ** max(0, attempts - 1))


def _claimable(state_field: str, due_field: str, now: datetime) -> Q:
    pending = Q(**{state_field: "pending", f"{due_field}__lte": now})
    abandoned = Q(**{state_field: "sending", "claimed_at__lt": now - CLAIM_LEASE})
    return pending | abandoned


# --- email -------------------------------------------------------------------------------------


def _claim_notification(pk: int, now: datetime) -> bool:
    return bool(
        Notification.objects.filter(_claimable("email_state", "send_after", now), pk=pk).update(
            email_state=EmailState.SENDING, claimed_at=now
        )
    )


def _email(notification: Notification, connection: Any) -> mail.EmailMessage:
    user = notification.recipient
    ticket: Ticket | None = notification.ticket
    base = settings.KEHU_BASE_URL.rstrip("/")
    with override(user.language or settings.LANGUAGE_CODE):
        context = {
            "notification": notification,
            "user": user,
            "ticket": ticket,
            "priority": Priority(ticket.priority).label
            if ticket and ticket.priority in Priority.values
            else "",
            "link": f"{base}{notification.url}" if notification.url else "",
            "preferences_link": f"{base}/notify/preferences/",
        }
        body = render_to_string("notify/email.txt", context)
        subject = (_("[Urgent] ") if notification.urgent else "") + notification.title
    return mail.EmailMessage(
        subject=" ".join(subject.split())[:250],
        body=body,
        to=[user.email],
        connection=connection,
        headers=thread_headers(notification),
    )


def thread_headers(notification: Notification) -> dict[str, str]:
    """A stable Message-ID per notification, and for a ticket's notifications a shared thread
    root in In-Reply-To/References, so mail clients group them by ticket. Notifications are
    automatic mail (RFC 3834): nobody should answer them automatically."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "kehu.local"
    headers = {
        "Message-ID": f"<kh-notification-{notification.pk}@{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
        # Mail coming back with it is never turned into a ticket (kehu.mail.ingest).
        "X-Loop": parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "kehu@localhost",
    }
    if notification.ticket_id:
        root = f"<kh-ticket-{notification.ticket_id}@{domain}>"
        headers["In-Reply-To"] = headers["References"] = root
    return headers


def deliver_emails(*, now: datetime, limit: int = BATCH) -> int:
    """Send the notification emails that are due; returns how many were sent."""
    due = list(
        Notification.objects.filter(_claimable("email_state", "send_after", now))
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not due:
        return 0
    sent = 0
    connection = mail.get_connection()
    try:
        for pk in due:
            if not _claim_notification(pk, now):
                continue  # another worker has it
            notification = Notification.objects.select_related("recipient", "ticket").get(pk=pk)
            if not notification.recipient.email or not notification.recipient.is_active:
                Notification.objects.filter(pk=pk).update(email_state=EmailState.SKIPPED)
                continue
            try:
                _email(notification, connection).send()
            except Exception as exc:  # any mail failure is retried later
                attempts = notification.attempts + 1
                failed = attempts >= MAX_ATTEMPTS
                log.warning(
                    "notification %s email attempt %s failed: %s", pk, attempts, exc, exc_info=False
                )
                Notification.objects.filter(pk=pk).update(
                    email_state=EmailState.FAILED if failed else EmailState.PENDING,
                    attempts=attempts,
                    send_after=now + backoff(attempts),
                    last_error=f"{type(exc).__name__}: {exc}"[:500],
                )
                continue
            Notification.objects.filter(pk=pk).update(
                email_state=EmailState.SENT, sent_at=now, attempts=notification.attempts + 1
            )
            log.info("notification %s emailed to user %s", pk, notification.recipient_id)
            sent += 1
    finally:
        connection.close()
    return sent


# --- webhooks ----------------------------------------------------------------------------------


def _claim_delivery(pk: int, now: datetime) -> bool:
    return bool(
        WebhookDelivery.objects.filter(_claimable("status", "next_attempt_at", now), pk=pk).update(
            status=DeliveryStatus.SENDING, claimed_at=now
        )
    )


def deliver_one(delivery_id: int, *, now: datetime) -> WebhookDelivery | None:
    """Claim and attempt one delivery; None if it was not due or another worker has it."""
    if not _claim_delivery(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    hook = delivery.webhook
    outcome = webhooks.post(
        url=hook.url,
        secret=hook.secret,
        event=delivery.event,
        delivery_id=delivery.pk,
        body=webhooks.encode(delivery.payload),
    )
    attempts = delivery.attempts + 1
    delivery.attempts = attempts
    delivery.response_code = outcome.code
    delivery.last_error = outcome.error
    delivery.attempt_log = [
        *delivery.attempt_log[-(MAX_ATTEMPTS * 2 - 1) :],
        {"at": now.isoformat(), "code": outcome.code, "error": outcome.error},
    ]
    if outcome.ok:
        delivery.status = DeliveryStatus.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        log.info("webhook delivery %s to %s: HTTP %s", delivery.pk, hook.pk, outcome.code)
    elif attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        log.warning(
            "webhook delivery %s to %s failed for good after %s attempts: %s",
            delivery.pk,
            hook.pk,
            attempts,
            outcome.error,
        )
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + backoff(attempts)
        log.warning(
            "webhook delivery %s to %s attempt %s failed (%s); next at %s",
            delivery.pk,
            hook.pk,
            attempts,
            outcome.error,
            delivery.next_attempt_at.isoformat(),
        )
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "response_code",
            "last_error",
            "attempt_log",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    return delivery


def deliver_webhooks(*, now: datetime, limit: int = BATCH) -> int:
    """Attempt the webhook deliveries that are due; returns how many attempts were made."""
    due = list(
        WebhookDelivery.objects.filter(_claimable("status", "next_attempt_at", now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if deliver_one(pk, now=now) is not None)


def deliver_pending(now: datetime | None = None) -> int:
    """Send due notification emails and webhook deliveries; returns how many were handled."""
    now = now or timezone.now()
    return deliver_emails(now=now) + deliver_webhooks(now=now)


@task()
def deliver_due() -> int:
    """Deliver what is due now (enqueued after events so urgent mail does not wait a minute)."""
    return deliver_pending()
