"""The email channel against real servers: IMAP polling (pymap) and SMTP (aiosmtpd)."""

import email
import email.policy
import smtplib
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import DatabaseError

from kehu.conftest import free_port
from kehu.desk import tickets
from kehu.desk.models import Channel, Ticket
from kehu.mail import imap, ingest, outbound
from kehu.mail.models import BouncedAddress, InboundMail, Mailbox, OutboundMail
from kehu.mail.tests.conftest import build_mail
from kehu.mail.tests.imap_server import running_imap_server

# Real commits (IMAP marks mail read only after one). available_apps: on PostgreSQL the flush
# afterwards must TRUNCATE … CASCADE (see core/tests/test_browser.py).
pytestmark = pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
Outcome = InboundMail.Outcome
CUSTOMER = "li.wei@xinghe-bank.example"


@pytest.fixture
def imap_server(tmp_path):
    with running_imap_server(tmp_path) as server:
        yield server


@pytest.fixture
def polled_mailbox(mailbox, imap_server):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_security=Mailbox.Security.SSL,
        imap_user=imap_server.user,
        imap_password=imap_server.password,
    )
    mailbox.refresh_from_db()
    return mailbox


@pytest.fixture
def customer(portal_contacts):
    contact = portal_contacts[0]
    contact.email, contact.language = CUSTOMER, "zh-hans"
    contact.save()
    return contact


def poll(mailbox, server):
    return imap.poll(mailbox, context=server.ssl_context_for_clients)


def smtp_lines(raw: bytes) -> bytes:
    """What an MTA stores: CRLF line ends (the IMAP server returns them so)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_polling_stores_each_message_once_and_marks_it_read(polled_mailbox, imap_server, customer):
    raw = smtp_lines(build_mail(sender=CUSTOMER, subject="邮件来的问题"))
    imap_server.append("INBOX", raw)
    imap_server.append("INBOX", raw)  # delivered twice
    result = poll(polled_mailbox, imap_server)
    assert (result.fetched, result.error) == (2, "")
    assert Ticket.objects.get().subject == "邮件来的问题"
    assert InboundMail.objects.count() == 1
    assert all("\\Seen" in flags for _uid, flags, _raw in imap_server.messages("INBOX"))
    assert poll(polled_mailbox, imap_server).fetched == 0  # nothing unread is left


def test_processed_mail_can_be_moved_to_a_folder(polled_mailbox, imap_server, customer):
    Mailbox.objects.filter(pk=polled_mailbox.pk).update(processed_folder="已处理")
    polled_mailbox.refresh_from_db()
    imap_server.append("INBOX", smtp_lines(build_mail(sender=CUSTOMER)))
    assert poll(polled_mailbox, imap_server).fetched == 1
    assert imap_server.messages("INBOX") == []
    assert len(imap_server.messages("已处理")) == 1


def test_a_database_failure_leaves_mail_unread_for_the_next_poll(
    polled_mailbox, imap_server, customer, monkeypatch
):
    imap_server.append("INBOX", smtp_lines(build_mail(sender=CUSTOMER)))
    real = ingest.ingest_many

    def down(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(ingest, "ingest_many", down)
    result = poll(polled_mailbox, imap_server)
    assert "database is locked" in result.error
    polled_mailbox.refresh_from_db()
    assert "database is locked" in polled_mailbox.last_poll_error
    [(_uid, flags, _raw)] = imap_server.messages("INBOX")
    assert "\\Seen" not in flags
    monkeypatch.setattr(ingest, "ingest_many", real)
    assert poll(polled_mailbox, imap_server).fetched == 1
    assert Ticket.objects.count() == 1


def test_an_unreachable_server_is_recorded_not_raised(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_host="127.0.0.1", imap_port=free_port())
    mailbox.refresh_from_db()
    result = imap.poll(mailbox)
    assert result.fetched == 0 and "connecting to 127.0.0.1" in result.error


def _email_ticket(mailbox, customer):
    raw = build_mail(sender=CUSTOMER, subject="无法登录系统", message_id="<first@client.example>")
    return ingest.ingest(raw, mailbox).ticket


def test_a_staff_reply_goes_out_threaded_in_the_customers_language(
    mailbox, customer, world, smtp_server, django_capture_on_commit_callbacks
):
    ticket = _email_ticket(mailbox, customer)
    with django_capture_on_commit_callbacks(execute=True):
        message = tickets.add_message(ticket, actor=world.agent, body="请清除缓存后重试。")
    [sent] = smtp_server.wait_for(1)
    record = OutboundMail.objects.get(ticket_message=message)
    assert record.sent_at is not None and record.attempts == 1
    # A long id may be folded onto its own header line (valid RFC 5322; readers unfold it).
    assert "".join(sent["Message-ID"].split()) == record.message_id
    assert sent["In-Reply-To"] == "<first@client.example>"
    assert "<first@client.example>" in sent["References"]
    parsed = email.message_from_bytes(sent.as_bytes(), policy=email.policy.default)
    assert str(parsed["Subject"]) == f"Re: [{ticket.reference}] 无法登录系统"
    assert parsed["Reply-To"] == "support@kehu.example"
    assert "OOF" in parsed["X-Auto-Response-Suppress"]
    body = parsed.get_body(("plain",)).get_content()
    assert "请清除缓存后重试。" in body and "您好" in body
    with django_capture_on_commit_callbacks(execute=True):
        tickets.add_message(ticket, actor=world.agent, body="内部备注", kind="internal")
    assert OutboundMail.objects.count() == 1  # internal notes never leave the house


def test_smtp_failures_are_retried_without_sending_twice(
    mailbox, customer, world, smtp_server, settings
):
    ticket = _email_ticket(mailbox, customer)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # the relay is down when the agent replies
    message = tickets.add_message(ticket, actor=world.agent, body="第一次回复")
    record = OutboundMail.objects.get(ticket_message=message)
    assert (record.attempts, record.sent_at, record.last_error != "") == (1, None, True)
    assert record.next_attempt_at is not None
    settings.EMAIL_PORT = working_port
    assert outbound.send_pending(now=record.next_attempt_at) == 1
    assert outbound.send_pending(now=record.next_attempt_at) == 0
    assert outbound.send(record.pk) is False
    assert len(smtp_server.wait_for(1)) == 1
    assert outbound.queue_reply(message) is None  # one email per reply, however often asked


def test_no_mail_goes_to_an_address_that_bounced(mailbox, customer, world, smtp_server):
    ticket = _email_ticket(mailbox, customer)
    BouncedAddress.objects.create(address=CUSTOMER, status="5.1.1")
    message = tickets.add_message(ticket, actor=world.agent, body="回复")
    record = OutboundMail.objects.get(ticket_message=message)
    assert record.sent_at is None and "bounced" in record.last_error
    assert record.next_attempt_at is None and smtp_server.messages == []


class _Relay:
    """An MTA: mail for the desk goes into the IMAP INBOX, anyone else's into their folder."""

    def __init__(self, server) -> None:
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        for recipient in envelope.rcpt_tos:
            folder = "INBOX" if recipient == "support@kehu.example" else "Customer"
            self.server.append(folder, smtp_lines(envelope.content))
        return "250 OK"


def test_mail_round_trip_through_real_smtp_and_imap_servers(
    polled_mailbox, imap_server, customer, world, settings, django_capture_on_commit_callbacks
):
    imap_server.create_folder("Customer")
    relay = Controller(_Relay(imap_server), hostname="127.0.0.1", port=free_port())
    relay.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", relay.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        # 1. The customer writes to the desk.
        first = build_mail(sender=f"李伟 <{CUSTOMER}>", subject="打印机无法连接")
        with smtplib.SMTP("127.0.0.1", relay.port) as client:
            client.sendmail(CUSTOMER, ["support@kehu.example"], first)
        poll(polled_mailbox, imap_server)
        ticket = Ticket.objects.get()
        assert (ticket.channel, ticket.contact) == (Channel.EMAIL, customer)

        # 2. The agent answers; the answer arrives in the customer's mailbox, threaded.
        with django_capture_on_commit_callbacks(execute=True):
            tickets.add_message(ticket, actor=world.agent, body="请重启打印机后再试。")
        [(_uid, _flags, delivered)] = imap_server.messages("Customer")
        answer = email.message_from_bytes(delivered, policy=email.policy.default)
        original_id = email.message_from_bytes(first)["Message-ID"]
        assert answer["In-Reply-To"] == original_id
        assert ticket.reference in str(answer["Subject"])

        # 3. The customer replies to that; the reply lands on the same ticket.
        reply = build_mail(
            sender=CUSTOMER,
            subject=f"Re: {answer['Subject']}",
            body="重启后好了，谢谢！\n\n> 请重启打印机后再试。",
            message_id=make_msgid(domain="client.example"),
            in_reply_to=answer["Message-ID"],
        )
        with smtplib.SMTP("127.0.0.1", relay.port) as client:
            client.sendmail(CUSTOMER, ["support@kehu.example"], reply)
        poll(polled_mailbox, imap_server)
        assert Ticket.objects.count() == 1
        bodies = list(ticket.messages.order_by("id").values_list("body", flat=True))
        assert bodies[-1] == "重启后好了，谢谢！"
    finally:
        relay.stop()
