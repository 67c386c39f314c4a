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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError, IntegrityError, ProgrammingError, transaction
from django.db.models import Count, F, Min
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.access.models import User
from kehu.customers.models import Account, Contact
from kehu.desk import tickets
from kehu.desk.models import Channel, Message, Status, Ticket, TicketLink
from kehu.desk.priority import TicketType
from kehu.desk.rules import visible_tickets
from kehu.desk.signals import batched
from kehu.desk.sla import clocks
from kehu.mail import parsing, storage
from kehu.mail.models import REFUSAL_REASONS, BouncedAddress, InboundMail, Mailbox, OutboundMail
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


@dataclass
class Arrival:
    """One raw message for a mailbox; ``parsed`` when the caller has parsed it already."""

    raw: bytes
    mailbox: Mailbox
    parsed: parsing.ParsedMail | None = None


def ingest(
    raw: bytes,
    mailbox: Mailbox,
    *,
    now: datetime | None = None,
    parsed: parsing.ParsedMail | None = None,
) -> InboundMail:
    """Store and act on one raw message; a repeat returns the record of the first delivery.
    ``parsed``: ``parsing.parse(raw)`` when the caller has it already."""
    return ingest_many([Arrival(raw, mailbox, parsed)], now=now)[0]


# Data the database refuses: the message will never fit (a poison message).
_UNUSABLE = (DataError, IntegrityError, ProgrammingError)


def ingest_many(arrivals: Sequence[Arrival], *, now: datetime | None = None) -> list[InboundMail]:
    """Store and act on many messages in one transaction, set-at-a-time (the senders, threads
    and rate limits are read once, the new tickets opened together), and deliver their ticket
    events together after the commit. One record per arrival, in order; a repeat returns the
    record of the first delivery.

    If the batch fails on data the database refuses, or because another worker stored one of
    its messages a moment ago, it is done again one message at a time, so one bad message
    cannot hold back the others. Lost connections and locks propagate: nothing of the batch
    is stored, and its source delivers it again.
    """
    now = now or timezone.now()
    parsed = [a.parsed or parsing.parse(a.raw) for a in arrivals]
    with batched(), clocks.same_policies():
        try:
            with transaction.atomic():
                return _Batch(now).run(list(arrivals), parsed)
        except (*_UNUSABLE, ValidationError) as error:
            if len(arrivals) > 1:
                return [
                    ingest_many([Arrival(a.raw, a.mailbox, mail)], now=now)[0]
                    for a, mail in zip(arrivals, parsed, strict=True)
                ]
            if isinstance(error, ValidationError):  # pragma: no cover - a batch of one keeps these
                raise
            return _file_unusable(arrivals[0], parsed[0], error)


def _file_unusable(
    arrival: Arrival, mail: parsing.ParsedMail, error: Exception
) -> list[InboundMail]:
    """Keep a message that cannot be acted on as rejected, rather than failing on it at every
    poll; if another worker stored it meanwhile, that record."""
    key = dedupe_key(mail, arrival.raw)
    for _attempt in range(2):
        found = InboundMail.objects.filter(dedupe_key=key).first()
        if found is not None:
            return [found]
        record = _record(arrival, mail, key)
        record.detail = f"{type(error).__name__}: {error}"[:2000]
        try:
            with transaction.atomic():
                record.save()
            return [record]
        except IntegrityError:
            continue  # stored by another worker a moment ago: found on the next look
    raise error


def _record(arrival: Arrival, mail: parsing.ParsedMail, key: str) -> InboundMail:
    large = storage.keeps_as_file(arrival.raw)
    return InboundMail(
        mailbox=arrival.mailbox,
        dedupe_key=key,
        message_id=mail.message_id[:998],
        sender=mail.sender[:320],
        subject=mail.subject[:998],
        raw=b"" if large else arrival.raw,
        raw_file=storage.write_raw(arrival.raw) if large else "",
        outcome=Outcome.REJECTED,
        problems=list(mail.problems),
    )


@dataclass
class _Pending:
    record: InboundMail
    mail: parsing.ParsedMail
    request: tickets.NewTicket


class _Batch:
    """The work of one ``ingest_many`` transaction and what it has read so far."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.people = _People()
        self.sent: dict[str, int] = {}  # Message-ID → ticket, for mail we sent
        self.received: dict[str, int] = {}  # Message-ID → ticket, for mail we received
        self.tickets: dict[int, Ticket] = {}
        self.recent: Counter[tuple[int, str]] = Counter()  # (mailbox, sender) → last hour
        self.pending: list[_Pending] = []
        self.pending_ids: set[str] = set()
        self.own: set[str] | None = None

    def run(self, arrivals: list[Arrival], parsed: list[parsing.ParsedMail]) -> list[InboundMail]:
        keys = [dedupe_key(mail, a.raw) for a, mail in zip(arrivals, parsed, strict=True)]
        stored = {r.dedupe_key: r for r in InboundMail.objects.filter(dedupe_key__in=set(keys))}
        self._preload(parsed)
        new: list[InboundMail] = []
        for arrival, mail, key in zip(arrivals, parsed, keys, strict=True):
            if key in stored:
                continue
            record = stored[key] = _record(arrival, mail, key)
            self._act(record, mail, arrival.mailbox)
            self.recent[(arrival.mailbox.pk, mail.sender)] += 1
            if mail.message_id and record.ticket_id:
                self.received.setdefault(mail.message_id, record.ticket_id)
            new.append(record)
        self._open_pending()
        InboundMail.objects.bulk_create(new)
        return [stored[key] for key in keys]

    def _preload(self, parsed: list[parsing.ParsedMail]) -> None:
        """Read at once what the messages' threading, senders and rate limits need."""
        ids = {i for mail in parsed for i in (*mail.in_reply_to, *mail.references)}
        ids |= {mail.bounce.original_message_id for mail in parsed if mail.bounce}
        ids.discard("")
        if ids:
            self.sent.update(
                OutboundMail.objects.filter(message_id__in=ids).values_list(
                    "message_id", "ticket_id"
                )
            )
            self.received.update(
                InboundMail.objects.filter(message_id__in=ids, ticket__isnull=False)
                .order_by("id")
                .values_list("message_id", "ticket_id")
            )
        self._load_tickets({*self.sent.values(), *self.received.values()})
        senders = {mail.sender for mail in parsed if mail.sender}
        self.people.preload({*senders, *(a for mail in parsed for a in mail.cc)}, senders)
        if senders:
            self.recent.update(
                {
                    (mailbox_id, sender): count
                    for mailbox_id, sender, count in InboundMail.objects.filter(
                        sender__in=senders, received_at__gte=self.now - timedelta(hours=1)
                    )
                    .values_list("mailbox_id", "sender")
                    .annotate(n=Count("id"))
                    .values_list("mailbox_id", "sender", "n")
                }
            )

    def is_our_own(self, mail: parsing.ParsedMail) -> bool:
        """Mail from one of our mailboxes or the address we notify from, or carrying our
        X-Loop: answering it would mail the desk itself."""
        if self.own is None:
            self.own = own_addresses()
        if mail.sender in self.own:
            return True
        return any(set(parsing.message_addresses(value)) & self.own for value in mail.loops)

    def _load_tickets(self, ids: set[int]) -> None:
        wanted = ids - self.tickets.keys()
        if wanted:
            related = Ticket.objects.select_related("department", "account", "contact")
            self.tickets.update(related.in_bulk(wanted))

    def ticket(self, pk: int) -> Ticket | None:
        self._load_tickets({pk})
        return self.tickets.get(pk)

    def _act(self, record: InboundMail, mail: parsing.ParsedMail, mailbox: Mailbox) -> None:
        noise = classify(mail)
        if noise == Noise.BOUNCE:
            _bounce(record, mail, self)
            return
        if self.is_our_own(mail):
            record.outcome = Outcome.LOOP
            record.detail = _("Sent by one of the desk's own addresses: no ticket is opened.")
            return
        if noise in (Noise.AUTO_REPLY, Noise.BULK):
            record.outcome = Outcome.AUTO_REPLY if noise == Noise.AUTO_REPLY else Outcome.BULK
            record.ticket = self.threaded_ticket(mail, mailbox)
            return
        if mail.sender and self.recent[(mailbox.pk, mail.sender)] >= mailbox.sender_limit_per_hour:
            record.outcome = Outcome.RATE_LIMITED
            record.detail = _("More than %(limit)s messages from this sender within an hour.") % {
                "limit": mailbox.sender_limit_per_hour
            }
            return
        files, refused = refused_attachments(mail)
        if refused:
            record.refused_attachments = refused
            record.detail = _("Attachments not taken: %(names)s") % {
                "names": "; ".join(_refusal_line(r) for r in refused)
            }
        try:
            ticket = self.threaded_ticket(mail, mailbox)
            if ticket is not None:
                _add_reply(record, mail, ticket, files, self.people)
                return
            request = new_ticket_request(record, mail, mailbox, files, self.people)
        except ValidationError as error:
            record.outcome = Outcome.REJECTED
            record.detail = "; ".join(error.messages)
            return
        if request is not None:
            self.pending.append(_Pending(record, mail, request))
            if mail.message_id:
                self.pending_ids.add(mail.message_id)

    def _open_pending(self) -> None:
        """Open the tickets new messages asked for, together."""
        pending, self.pending, self.pending_ids = self.pending, [], set()
        if not pending:
            return
        try:
            opened = tickets.create_tickets([p.request for p in pending], actor=None)
        except ValidationError as error:
            if len(pending) > 1:
                raise  # done again one by one: the bad one is rejected, the rest opened
            pending[0].record.outcome = Outcome.REJECTED
            pending[0].record.detail = "; ".join(error.messages)
            return
        first_messages = dict(
            Message.objects.filter(ticket__in=opened)
            .values("ticket_id")
            .annotate(first=Min("id"))
            .values_list("ticket_id", "first")
        )
        for item, ticket in zip(pending, opened, strict=True):
            item.record.outcome, item.record.ticket = Outcome.TICKET_CREATED, ticket
            item.record.ticket_message_id = first_messages[ticket.pk]
            self.tickets[ticket.pk] = ticket
            if item.mail.message_id:
                self.received.setdefault(item.mail.message_id, ticket.pk)
            _add_watchers(ticket, item.mail.cc, self.people)

    # --- threading -----------------------------------------------------------------------------

    def threaded_ticket(self, mail: parsing.ParsedMail, mailbox: Mailbox) -> Ticket | None:
        """The ticket a reply belongs to: by the Message-IDs it answers, then (when the
        mailbox allows) by a ticket reference in the subject if the sender is one of the
        ticket's people."""
        ids = [*reversed(mail.in_reply_to), *reversed(mail.references)]
        if self.pending_ids.intersection(ids):
            self._open_pending()  # it answers a message of this batch: open that ticket first
        found = next((self.sent[i] for i in ids if i in self.sent), None)
        found = found or next((self.received[i] for i in ids if i in self.received), None)
        if found is not None:
            ticket = self.ticket(found)
            if ticket is not None:
                return self._follow_merges(ticket)
        if not mailbox.thread_by_subject:
            return None
        match = _REFERENCE.search(mail.subject)
        if match is None:
            return None
        ticket = self.ticket(int(match.group(1)))
        # A reference is easy to guess, a Message-ID is not: only the ticket's own people may
        # write into it by subject.
        if ticket is None or mail.sender not in _people_of(ticket):
            return None
        return self._follow_merges(ticket)

    def _follow_merges(self, ticket: Ticket) -> Ticket:
        seen = {ticket.pk}
        while ticket.merged_into_id and ticket.merged_into_id not in seen:
            merged_into = self.ticket(ticket.merged_into_id)
            if merged_into is None:
                break
            ticket = merged_into
            seen.add(ticket.pk)
        return ticket


class _People:
    """Employees, contacts and sign-ins by email address (lower-cased), read for a whole batch
    in one query each; an address not read before is looked up on its own."""

    def __init__(self) -> None:
        self.employees: dict[str, Employee | None] = {}
        self.contacts: dict[str, Contact | None] = {}
        self.users: dict[str, User | None] = {}

    def preload(self, addresses: set[str], senders: set[str]) -> None:
        wanted = {a.lower() for a in addresses if a} - self.users.keys()
        if wanted:
            self.users.update(dict.fromkeys(wanted))
            for user in _by_email(User.objects.filter(is_active=True), wanted):
                self.users[user.email.lower()] = self.users[user.email.lower()] or user
        senders = {a.lower() for a in senders if a} - self.employees.keys()
        if senders:
            self.employees.update(dict.fromkeys(senders))
            self.contacts.update(dict.fromkeys(senders))
            for employee in _by_email(Employee.objects.select_related("department"), senders):
                self.employees[employee.email.lower()] = (
                    self.employees[employee.email.lower()] or employee
                )
            for contact in _by_email(Contact.objects.select_related("account"), senders):
                self.contacts[contact.email.lower()] = (
                    self.contacts[contact.email.lower()] or contact
                )

    def employee(self, address: str) -> Employee | None:
        self.preload({address}, {address})
        return self.employees.get(address.lower())

    def contact(self, address: str) -> Contact | None:
        self.preload({address}, {address})
        return self.contacts.get(address.lower())

    def user(self, address: str) -> User | None:
        if not address:
            return None
        self.preload({address}, set())
        return self.users.get(address.lower())


def _by_email(rows: Any, addresses: set[str]) -> Any:
    """``rows`` whose email is one of ``addresses`` whatever its case, in the model's order
    (the first per address wins, as ``.first()`` would pick); served by Upper(email) indexes."""
    return rows.annotate(email_upper=Upper("email")).filter(
        email_upper__in=[a.upper() for a in addresses]
    )


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
    people: _People,
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
        actor=people.user(mail.sender),
        body=body,
        from_requester=True,
        author_name=mail.sender_name or mail.sender,
        attachments=files,
    )
    record.outcome, record.ticket = Outcome.REPLY_ADDED, ticket
    _add_watchers(ticket, mail.cc, people)


def new_ticket_request(
    record: InboundMail,
    mail: parsing.ParsedMail,
    mailbox: Mailbox,
    files: list[SimpleUploadedFile],
    people: _People | None = None,
    *,
    create_contact: bool = False,
) -> tickets.NewTicket | None:
    """The ticket a new message asks for, or None when it is held (``create_contact``:
    whatever the mailbox's policy for unknown senders, as when a held message is released)."""
    people = people or _People()
    employee = people.employee(mail.sender) if mail.sender else None
    contact = None
    if employee is None:
        contact = people.contact(mail.sender) if mail.sender else None
    if employee is None and contact is None:
        hold = mailbox.unknown_senders == Mailbox.UnknownSenders.HOLD and not create_contact
        if not mail.sender or hold:
            record.outcome = Outcome.HELD
            record.detail = _("Unknown sender: held for review.")
            return None
        contact = people.contacts[mail.sender.lower()] = _new_contact(mail)
    return tickets.NewTicket(
        subject=(mail.subject or _("(no subject)"))[:200],
        body=mail.text.strip() or _("(The message had no text.)"),
        department=mailbox.department,
        channel=Channel.EMAIL,
        # Mail from a colleague is an internal request to the mailbox's department.
        ticket_type=TicketType.SERVICE_REQUEST if employee else TicketType.QUESTION,
        contact=contact,
        requester_employee=employee,
        attachments=files,
    )


def open_ticket(
    record: InboundMail,
    mail: parsing.ParsedMail,
    mailbox: Mailbox,
    files: list[SimpleUploadedFile],
    *,
    create_contact: bool = False,
) -> None:
    """Open the ticket a new message asks for now (see ``new_ticket_request``)."""
    people = _People()
    request = new_ticket_request(
        record, mail, mailbox, files, people, create_contact=create_contact
    )
    if request is None:
        return
    ticket = tickets.create_ticket(request, actor=None)
    record.outcome, record.ticket = Outcome.TICKET_CREATED, ticket
    record.ticket_message = ticket.messages.order_by("id").first()
    _add_watchers(ticket, mail.cc, people)


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


def _add_watchers(ticket: Ticket, addresses: list[str], people: _People) -> None:
    """CC'd people who have a Kehu sign-in and may see the ticket follow it."""
    for address in addresses:
        user = people.user(address)
        if user is None or ticket.watchers.filter(pk=user.pk).exists():
            continue
        if visible_tickets(user, Ticket.objects.filter(pk=ticket.pk)).exists():
            ticket.watchers.add(user)


def own_addresses() -> set[str]:
    """Every address the desk sends from: its mailboxes (active or not) and the sender of
    notifications and other system mail."""
    addresses = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    for configured in (settings.DEFAULT_FROM_EMAIL, settings.SERVER_EMAIL):
        addresses.update(parsing.message_addresses(configured or ""))
    return addresses


# Why an attachment was not taken; the reason codes are stored, their text shown translated.


def _refusal_line(refused: dict[str, str]) -> str:
    return _("%(name)s (%(reason)s)") % {
        "name": refused["name"],
        "reason": REFUSAL_REASONS.get(refused["reason"], refused["reason"]),
    }


def refused_attachments(
    mail: parsing.ParsedMail,
) -> tuple[list[SimpleUploadedFile], list[dict[str, str]]]:
    """The attachments within the desk's limits, and {name, reason} for each one left out."""
    allowed = {t.lower() for t in settings.KEHU_ATTACHMENT_TYPES}
    taken: list[SimpleUploadedFile] = []
    refused: list[dict[str, str]] = []
    for part in mail.attachments:
        name = PurePath(part.filename.replace("\\", "/")).name or "attachment"
        if part.damaged:
            refused.append({"name": name, "reason": "damaged"})
        elif PurePath(name).suffix.lower() not in allowed:
            refused.append({"name": name, "reason": "type"})
        elif len(part.content) > settings.KEHU_ATTACHMENT_MAX_BYTES:
            refused.append({"name": name, "reason": "size"})
        else:
            taken.append(SimpleUploadedFile(name, part.content, part.content_type))
    return taken, refused


def attachments_within_limits(
    mail: parsing.ParsedMail,
) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments within the desk's limits, and a line for each one left out."""
    taken, refused = refused_attachments(mail)
    return taken, [_refusal_line(r) for r in refused]


def _bounce(record: InboundMail, mail: parsing.ParsedMail, batch: _Batch) -> None:
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
    sent = batch.sent.get(bounce.original_message_id)
    ticket = batch.ticket(sent) if sent else batch.threaded_ticket(mail, record.mailbox)
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


def mailbox_for_message(
    mail: parsing.ParsedMail, address: str = "", active: list[Mailbox] | None = None
) -> Mailbox | None:
    """The mailbox named, else the one the message was delivered to (Delivered-To,
    X-Original-To, To, Cc), else the only active one. ``active``: the active mailboxes, read
    once by a caller routing many messages."""
    if active is None:
        active = list(Mailbox.objects.filter(is_active=True).order_by("pk"))
    by_address: dict[str, Mailbox] = {}
    for mailbox in active:
        by_address.setdefault(mailbox.address.lower(), mailbox)
    if address:
        return by_address.get(address.lower())
    candidates = [
        *parsing.message_addresses(mail.headers.get("delivered-to", "")),
        *parsing.message_addresses(mail.headers.get("x-original-to", "")),
        *mail.to,
        *mail.cc,
    ]
    for candidate in candidates:
        if candidate in by_address:
            return by_address[candidate]
    return active[0] if len(active) == 1 else None


def summary(record: InboundMail) -> dict[str, Any]:
    return {
        "id": record.pk,
        "outcome": record.outcome,
        "ticket": record.ticket.reference if record.ticket else None,
        "detail": record.detail,
    }
