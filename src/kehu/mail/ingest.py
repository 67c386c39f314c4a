"""One received message, exactly once: store it, then thread it, open a ticket, hold or file it.

The raw message and its record are written in the same transaction as the ticket change they
cause. If the process dies half-way, nothing of it is committed and the message is processed
again from its source (IMAP leaves it unmarked, an MTA retries a failed hand-over); if it dies
after committing, the unique ``dedupe_key`` recognises the second delivery.
"""

from __future__ import annotations

import hashlib
import mailbox as mbox_format
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, IntegrityError, ProgrammingError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.access.models import User
from kehu.customers.models import Account, Contact
from kehu.desk import tickets
from kehu.desk.models import Channel, Status, Ticket, TicketLink
from kehu.desk.priority import TicketType
from kehu.desk.rules import visible_tickets
from kehu.mail import parsing
from kehu.mail.models import BouncedAddress, InboundMail, Mailbox, OutboundMail
from kehu.mail.noise import Noise, classify
from kehu.org.models import Employee

Outcome = InboundMail.Outcome
_FROM_QUOTED = re.compile(rb"(?m)^>(>*From )")  # mbox quoting of body lines starting "From "
_REFERENCE = re.compile(r"\[?\bKH-(\d{1,10})\b\]?", re.IGNORECASE)
# Free-mail domains name people, not companies: a new sender there gets an account of their own.
FREE_MAIL = frozenset(
    [
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sohu.com",
        "aliyun.com",
        "139.com",
    ]
)


def dedupe_key(mail: parsing.ParsedMail, raw: bytes) -> str:
    """Message-ID plus the body's hash; without a Message-ID, sender, date and subject stand in."""
    identity = mail.message_id or "\n".join([mail.sender, str(mail.sent_at or ""), mail.subject])
    return hashlib.sha256(f"{identity}\n{parsing.body_hash(raw)}".encode()).hexdigest()


def ingest(
    raw: bytes,
    mailbox: Mailbox,
    *,
    now: datetime | None = None,
    parsed: parsing.ParsedMail | None = None,
) -> InboundMail:
    """Store and act on one raw message; a repeat returns the record of the first delivery.
    ``parsed``: ``parsing.parse(raw)`` when the caller has it already."""
    mail = parsed or parsing.parse(raw)
    key = dedupe_key(mail, raw)
    existing = InboundMail.objects.filter(dedupe_key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            record = InboundMail.objects.create(
                mailbox=mailbox,
                dedupe_key=key,
                message_id=mail.message_id[:998],
                sender=mail.sender[:320],
                subject=mail.subject[:998],
                raw=raw,
                outcome=Outcome.REJECTED,
            )
            try:
                with transaction.atomic():
                    _act(record, mail, mailbox, now or timezone.now())
            except (DataError, IntegrityError, ProgrammingError) as error:
                # This message will never fit (a poison message): file it as unusable rather
                # than failing on it at every poll. Lost connections and locks still propagate,
                # and the message is tried again.
                record.outcome, record.ticket, record.ticket_message = Outcome.REJECTED, None, None
                record.detail = f"{type(error).__name__}: {error}"[:2000]
            # Not the raw message again: it can be megabytes.
            record.save(update_fields=["outcome", "detail", "ticket", "ticket_message"])
    except IntegrityError:
        # Another worker stored the same message a moment ago.
        found = InboundMail.objects.filter(dedupe_key=key).first()
        if found is None:
            raise
        return found
    return record


def _act(record: InboundMail, mail: parsing.ParsedMail, mailbox: Mailbox, now: datetime) -> None:
    noise = classify(mail)
    if noise == Noise.BOUNCE:
        _bounce(record, mail)
        return
    if noise in (Noise.AUTO_REPLY, Noise.BULK):
        record.outcome = Outcome.AUTO_REPLY if noise == Noise.AUTO_REPLY else Outcome.BULK
        record.ticket = _threaded_ticket(mail, mailbox)
        return
    recent = InboundMail.objects.filter(
        mailbox=mailbox, sender=mail.sender, received_at__gte=now - timedelta(hours=1)
    ).exclude(pk=record.pk)
    if mail.sender and recent.count() >= mailbox.sender_limit_per_hour:
        record.outcome = Outcome.RATE_LIMITED
        record.detail = _("More than %(limit)s messages from this sender within an hour.") % {
            "limit": mailbox.sender_limit_per_hour
        }
        return
    files, dropped = attachments_within_limits(mail)
    if dropped:
        record.detail = _("Attachments not taken: %(names)s") % {"names": "; ".join(dropped)}
    try:
        ticket = _threaded_ticket(mail, mailbox)
        if ticket is not None:
            _add_reply(record, mail, ticket, files)
        else:
            open_ticket(record, mail, mailbox, files)
    except ValidationError as error:
        record.outcome = Outcome.REJECTED
        record.detail = "; ".join(error.messages)


# --- threading ---------------------------------------------------------------------------------


def _threaded_ticket(mail: parsing.ParsedMail, mailbox: Mailbox) -> Ticket | None:
    """The ticket a reply belongs to: by the Message-IDs it answers, then (when the mailbox
    allows) by a ticket reference in the subject if the sender is one of the ticket's people."""
    ids = [*reversed(mail.in_reply_to), *reversed(mail.references)]
    if ids:
        sent = OutboundMail.objects.filter(message_id__in=ids).values_list("ticket_id", flat=True)
        received = InboundMail.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
            "ticket_id", flat=True
        )
        found = [*sent, *received]
        if found:
            return _follow_merges(Ticket.objects.get(pk=found[0]))
    if not mailbox.thread_by_subject:
        return None
    match = _REFERENCE.search(mail.subject)
    if match is None:
        return None
    ticket = Ticket.objects.filter(pk=int(match.group(1))).first()
    # A reference is easy to guess, a Message-ID is not: only the ticket's own people may
    # write into it by subject.
    if ticket is None or mail.sender not in _people_of(ticket):
        return None
    return _follow_merges(ticket)


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = {ticket.pk}
    while ticket.merged_into_id and ticket.merged_into_id not in seen:
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
        seen.add(ticket.pk)
    return ticket


def _people_of(ticket: Ticket) -> set[str]:
    addresses = set()
    if ticket.contact_id:
        addresses.add((ticket.contact.email or "").lower())  # type: ignore[union-attr]
    if ticket.requester_employee_id:
        addresses.add((ticket.requester_employee.email or "").lower())  # type: ignore[union-attr]
    addresses.update(e.lower() for e in ticket.watchers.values_list("email", flat=True) if e)
    addresses.discard("")
    return addresses


# --- acting ----------------------------------------------------------------------------------------


def _add_reply(
    record: InboundMail,
    mail: parsing.ParsedMail,
    ticket: Ticket,
    files: list[SimpleUploadedFile],
) -> None:
    body = mail.reply_text or _("(The message had no text.)")
    if ticket.status == Status.CLOSED:
        # A closed ticket stays closed: the answer opens a follow-up that refers to it.
        follow_up = tickets.create_ticket(
            tickets.NewTicket(
                subject=mail.subject or ticket.subject,
                body=body,
                department=ticket.department,
                channel=Channel.EMAIL,
                ticket_type=ticket.ticket_type,
                contact=ticket.contact,
                requester_employee=ticket.requester_employee,
                attachments=files,
            ),
            actor=None,
        )
        tickets.link(follow_up, ticket, kind=TicketLink.Kind.RELATED, actor=None)
        record.outcome, record.ticket = Outcome.TICKET_CREATED, follow_up
        record.ticket_message = follow_up.messages.order_by("id").first()
        return
    record.ticket_message = tickets.add_message(
        ticket,
        actor=_user_with_email(mail.sender),
        body=body,
        from_requester=True,
        author_name=mail.sender_name or mail.sender,
        attachments=files,
    )
    record.outcome, record.ticket = Outcome.REPLY_ADDED, ticket
    _add_watchers(ticket, mail.cc)


def open_ticket(
    record: InboundMail,
    mail: parsing.ParsedMail,
    mailbox: Mailbox,
    files: list[SimpleUploadedFile],
    *,
    create_contact: bool = False,
) -> None:
    """Open the ticket a new message asks for (``create_contact``: whatever the mailbox's
    policy for unknown senders, as when a held message is released)."""
    employee = Employee.objects.filter(email__iexact=mail.sender).first() if mail.sender else None
    contact = None
    if employee is None:
        contact = Contact.objects.filter(email__iexact=mail.sender).first() if mail.sender else None
    if employee is None and contact is None:
        hold = mailbox.unknown_senders == Mailbox.UnknownSenders.HOLD and not create_contact
        if not mail.sender or hold:
            record.outcome = Outcome.HELD
            record.detail = _("Unknown sender: held for review.")
            return
        contact = _new_contact(mail)
    ticket = tickets.create_ticket(
        tickets.NewTicket(
            subject=(mail.subject or _("(no subject)"))[:200],
            body=mail.text.strip() or _("(The message had no text.)"),
            department=mailbox.department,
            channel=Channel.EMAIL,
            # Mail from a colleague is an internal request to the mailbox's department.
            ticket_type=TicketType.SERVICE_REQUEST if employee else TicketType.QUESTION,
            contact=contact,
            requester_employee=employee,
            attachments=files,
        ),
        actor=None,
    )
    record.outcome, record.ticket = Outcome.TICKET_CREATED, ticket
    record.ticket_message = ticket.messages.order_by("id").first()
    _add_watchers(ticket, mail.cc)


def _new_contact(mail: parsing.ParsedMail) -> Contact:
    domain = mail.sender.rsplit("@", 1)[-1]
    name = mail.sender_name or mail.sender.split("@", 1)[0]
    account = None
    if domain not in FREE_MAIL:
        colleague = Contact.objects.filter(email__iendswith=f"@{domain}").first()
        account = colleague.account if colleague else None
    if account is None:
        personal = domain in FREE_MAIL
        account = Account.objects.create(
            name=(name if personal else domain)[:200],
            kind=Account.Kind.INDIVIDUAL if personal else Account.Kind.COMPANY,
        )
    return Contact.objects.create(account=account, name=name[:200], email=mail.sender)


def _user_with_email(address: str) -> User | None:
    if not address:
        return None
    return User.objects.filter(email__iexact=address, is_active=True).first()


def _add_watchers(ticket: Ticket, addresses: list[str]) -> None:
    """CC'd people who have a Kehu sign-in and may see the ticket follow it."""
    for address in addresses:
        user = _user_with_email(address)
        if user is None or ticket.watchers.filter(pk=user.pk).exists():
            continue
        if visible_tickets(user, Ticket.objects.filter(pk=ticket.pk)).exists():
            ticket.watchers.add(user)


def attachments_within_limits(
    mail: parsing.ParsedMail,
) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments within the desk's limits, and a line for each one left out."""
    allowed = {t.lower() for t in settings.KEHU_ATTACHMENT_TYPES}
    taken: list[SimpleUploadedFile] = []
    dropped: list[str] = []
    for part in mail.attachments:
        name = PurePath(part.filename.replace("\\", "/")).name or "attachment"
        if PurePath(name).suffix.lower() not in allowed:
            dropped.append(_("%(name)s (type not accepted)") % {"name": name})
        elif len(part.content) > settings.KEHU_ATTACHMENT_MAX_BYTES:
            dropped.append(_("%(name)s (too large)") % {"name": name})
        else:
            taken.append(SimpleUploadedFile(name, part.content, part.content_type))
    return taken, dropped


def _bounce(record: InboundMail, mail: parsing.ParsedMail) -> None:
    """File a bounce on the ticket whose mail bounced and flag the addresses."""
    record.outcome = Outcome.BOUNCE
    bounce = mail.bounce
    if bounce is None:
        record.detail = _("Automatic notice from a mail server.")
        return
    for address in bounce.recipients:
        flagged, created = BouncedAddress.objects.get_or_create(
            address=address[:254],
            defaults={"status": bounce.status, "diagnostic": bounce.diagnostic},
        )
        if not created:
            BouncedAddress.objects.filter(pk=flagged.pk).update(
                bounces=F("bounces") + 1, status=bounce.status, diagnostic=bounce.diagnostic
            )
    sent = OutboundMail.objects.filter(message_id=bounce.original_message_id).first()
    ticket = sent.ticket if sent else _threaded_ticket(mail, record.mailbox)
    record.detail = _("Could not deliver to %(addresses)s: %(status)s %(diagnostic)s") % {
        "addresses": ", ".join(bounce.recipients) or "?",
        "status": bounce.status,
        "diagnostic": bounce.diagnostic,
    }
    if ticket is not None and ticket.status != Status.CLOSED:
        record.ticket = ticket
        record.ticket_message = tickets.add_message(
            ticket, actor=None, body=record.detail, author_name=_("Mail server"), automatic=True
        )


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox file (mboxrd/mboxo "From " separators, ">From " unquoted)."""
    with tempfile.NamedTemporaryFile(suffix=".mbox") as handle:
        handle.write(data)
        handle.flush()
        box = mbox_format.mbox(handle.name, create=False)
        try:
            return [_FROM_QUOTED.sub(rb"\1", box.get_bytes(key)) for key in box.iterkeys()]
        finally:
            box.close()


def mailbox_for_message(mail: parsing.ParsedMail, address: str = "") -> Mailbox | None:
    """The mailbox named, else the one the message was delivered to (Delivered-To,
    X-Original-To, To, Cc), else the only active one."""
    active = Mailbox.objects.filter(is_active=True)
    if address:
        return active.filter(address__iexact=address).first()
    candidates = [
        *parsing.message_addresses(mail.headers.get("delivered-to", "")),
        *parsing.message_addresses(mail.headers.get("x-original-to", "")),
        *mail.to,
        *mail.cc,
    ]
    for candidate in candidates:
        found = active.filter(address__iexact=candidate).first()
        if found is not None:
            return found
    return active.first() if active.count() == 1 else None


def summary(record: InboundMail) -> dict[str, Any]:
    return {
        "id": record.pk,
        "outcome": record.outcome,
        "ticket": record.ticket.reference if record.ticket else None,
        "detail": record.detail,
    }
