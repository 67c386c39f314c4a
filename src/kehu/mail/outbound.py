"""Staff replies by email, threaded: the customer's client shows them in the conversation, and
the customer's answer comes back to the same ticket (``ingest`` matches our Message-IDs).

A reply is first written down as an ``OutboundMail`` with its Message-ID, then sent by a task.
Sending takes the row's lock and skips what was sent, so a retry after an SMTP failure or a
second worker never sends it twice; a failed attempt waits longer each time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid
from typing import Any

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from kehu.desk.models import Channel, Message, Ticket
from kehu.desk.signals import TicketEvent
from kehu.mail.models import BouncedAddress, InboundMail, Mailbox, OutboundMail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
REFERENCES_KEPT = 20  # clients thread on the last few; long chains only grow the header


def mailbox_of(ticket: Ticket) -> Mailbox | None:
    """The mailbox the ticket's mail came in through, else its department's."""
    received = (
        InboundMail.objects.filter(ticket=ticket, mailbox__is_active=True)
        .select_related("mailbox")
        .order_by("-id")
        .first()
    )
    if received is not None:
        return received.mailbox
    return Mailbox.objects.filter(department=ticket.department_id, is_active=True).first()


def recipient_of(ticket: Ticket) -> tuple[str, str, str] | None:
    """(name, address, language) of the requester, when they are answered by email."""
    contact, employee = ticket.contact, ticket.requester_employee
    if contact is not None:
        by_mail = ticket.channel == Channel.EMAIL or contact.preferred_channel == "email"
        if contact.email and by_mail:
            return contact.name, contact.email, contact.language
    elif employee is not None and ticket.channel == Channel.EMAIL:
        user = employee.user
        language = user.language if user else settings.LANGUAGE_CODE
        if employee.email:
            return employee.name, employee.email, language
    return None


def replies_mailed_to(ticket: Ticket) -> str:
    """The address public replies on ``ticket`` are emailed to ("" when they are not)."""
    recipient = recipient_of(ticket)
    if recipient is None or mailbox_of(ticket) is None:
        return ""
    return recipient[1].lower()


def queue_reply(message: Message) -> OutboundMail | None:
    """Write down the email for a public staff reply; ``send_outbound`` sends it."""
    if message.kind != Message.Kind.PUBLIC or message.from_requester:
        return None
    ticket = message.ticket
    recipient = recipient_of(ticket)
    mailbox = mailbox_of(ticket)
    if recipient is None or mailbox is None:
        return None
    if OutboundMail.objects.filter(ticket_message=message).exists():
        return None
    domain = mailbox.address.rsplit("@", 1)[-1]
    return OutboundMail.objects.create(
        ticket=ticket,
        ticket_message=message,
        message_id=make_msgid(idstring=f"kh-{ticket.pk}-{message.pk}", domain=domain),
        recipients=[recipient[1]],
        next_attempt_at=timezone.now(),
    )


def _thread_headers(outbound: OutboundMail) -> dict[str, str]:
    """In-Reply-To the customer's latest mail (else our previous one) and References to the
    conversation so far, oldest first."""
    earlier = [
        *InboundMail.objects.filter(ticket=outbound.ticket_id)
        .exclude(message_id="")
        .values_list("received_at", "message_id"),
        *OutboundMail.objects.filter(ticket=outbound.ticket_id, id__lt=outbound.pk).values_list(
            "created_at", "message_id"
        ),
    ]
    ids = [message_id for _when, message_id in sorted(earlier)][-REFERENCES_KEPT:]
    if not ids:
        return {}
    latest_inbound = (
        InboundMail.objects.filter(ticket=outbound.ticket_id)
        .exclude(message_id="")
        .order_by("-received_at")
        .values_list("message_id", flat=True)
        .first()
    )
    return {"In-Reply-To": latest_inbound or ids[-1], "References": " ".join(ids)}


def build_email(outbound: OutboundMail, connection: Any = None) -> mail.EmailMessage:
    ticket = outbound.ticket
    message = outbound.ticket_message
    mailbox = mailbox_of(ticket)
    recipient = recipient_of(ticket)
    language = recipient[2] if recipient else settings.LANGUAGE_CODE
    name = recipient[0] if recipient else ""
    sender = mailbox.address if mailbox else settings.DEFAULT_FROM_EMAIL
    display = (mailbox.display_name if mailbox else "") or "Kehu"
    headers = {"Message-ID": outbound.message_id, **_thread_headers(outbound)}
    # Ours is a reply in a conversation: automatic answers to it would only loop.
    headers["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    # Should it ever come back to one of our mailboxes, ingest recognises it and opens nothing.
    headers["X-Loop"] = sender
    with translation.override(language):
        context = {"ticket": ticket, "message": message, "name": name}
        subject = render_to_string("mail/reply_subject.txt", context).strip()
        body = render_to_string("mail/reply_body.txt", context)
    email = mail.EmailMessage(
        subject=subject,
        body=body,
        from_email=formataddr((display, sender)),
        to=list(outbound.recipients),
        reply_to=[sender],
        headers=headers,
        connection=connection,
    )
    if message is not None:
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def send(outbound_id: int, *, now: datetime | None = None) -> bool:
    """Send one queued email unless it was sent; True when it went out now."""
    now = now or timezone.now()
    with transaction.atomic():
        outbound = (
            OutboundMail.objects.select_for_update(of=("self",))
            .select_related("ticket", "ticket_message")
            .filter(pk=outbound_id, sent_at__isnull=True)
            .first()
        )
        if outbound is None:
            return False
        blocked = BouncedAddress.objects.filter(address__in=outbound.recipients).first()
        if blocked is not None:
            outbound.last_error = f"{blocked.address} bounced ({blocked.status}); not sent"
            outbound.next_attempt_at = None
            outbound.save(update_fields=["last_error", "next_attempt_at"])
            return False
        outbound.attempts += 1
        try:
            build_email(outbound).send()
        except Exception as error:  # any SMTP or network failure: try again later
            log.warning("sending %s failed: %s", outbound.message_id, error)
            outbound.last_error = str(error)[:2000]
            outbound.next_attempt_at = (
                now + timedelta(minutes=2**outbound.attempts)
                if outbound.attempts < MAX_ATTEMPTS
                else None
            )
            outbound.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            return False
        outbound.sent_at, outbound.next_attempt_at, outbound.last_error = now, None, ""
        outbound.save(update_fields=["attempts", "sent_at", "next_attempt_at", "last_error"])
        return True


def send_pending(*, now: datetime | None = None, limit: int = 200) -> int:
    """Send what is due (new mail and retries); returns how many went out."""
    now = now or timezone.now()
    due = (
        OutboundMail.objects.filter(sent_at__isnull=True, next_attempt_at__lte=now)
        .filter(Q(attempts__lt=MAX_ATTEMPTS))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(send(pk, now=now) for pk in list(due))


@task()
def send_outbound(outbound_id: int) -> bool:
    return send(outbound_id)


def on_ticket_events(sender: Any, *, events: list[TicketEvent], **_: Any) -> None:
    """``ticket_events`` receiver: a public staff reply goes to an email requester by email."""
    for happened in events:
        if (
            happened.event == "ticket.message_added"
            and happened.data.get("kind") == Message.Kind.PUBLIC
            and not happened.data.get("from_requester")
        ):
            _mail_reply(happened.data.get("message_id"))


def _mail_reply(message_id: Any) -> None:
    if not isinstance(message_id, int):
        return
    message = Message.objects.select_related("ticket__contact").filter(pk=message_id).first()
    if message is None:
        return
    try:
        with transaction.atomic():
            outbound = queue_reply(message)
    except Exception:
        # The reply itself is saved; the sweep of unsent mail cannot see a row never written,
        # so say so loudly.
        log.exception("could not queue the email for message %s", message.pk)
        return
    if outbound is not None:
        # After the row is committed: a task queue outside the database (Redis) could run the
        # task before the row exists otherwise.
        transaction.on_commit(lambda: send_outbound.enqueue(outbound.pk))
