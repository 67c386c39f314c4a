"""Inbound mail: tickets, threading, exactly once, noise, limits, attachments, watchers."""

import json
import mailbox as mbox_format

import pytest
from django.db import DatabaseError
from typer.testing import CliRunner

from kehu.cli import app
from kehu.conftest import EmployeeFactory
from kehu.customers.models import Contact
from kehu.desk import tickets
from kehu.desk.models import Channel, Message, Status, Ticket, TicketLink
from kehu.mail import ingest
from kehu.mail.models import BouncedAddress, InboundMail, Mailbox, OutboundMail
from kehu.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome


def test_a_mail_from_a_contact_opens_an_email_ticket(mailbox, customer):
    raw = build_mail(sender="李伟 <Li.Wei@xinghe-bank.example>", subject="请重新开具发票")
    record = ingest.ingest(raw, mailbox)
    assert record.outcome == Outcome.TICKET_CREATED
    ticket = record.ticket
    assert (ticket.subject, ticket.channel, ticket.contact, ticket.department) == (
        "请重新开具发票",
        Channel.EMAIL,
        customer,
        mailbox.department,
    )
    first = ticket.messages.get()
    assert first.body == "登录时提示密码错误。" and first.from_requester
    assert record.ticket_message == first and bytes(record.raw) == raw


def test_the_same_message_twice_is_stored_and_acted_on_once(mailbox, customer):
    raw = build_mail(sender="li.wei@xinghe-bank.example", message_id="<once@client.example>")
    first = ingest.ingest(raw, mailbox)
    # Delivered again by another route: only the trace headers differ.
    again = ingest.ingest(b"Received: from mx2.example by kehu\r\n" + raw, mailbox)
    assert again.pk == first.pk
    assert InboundMail.objects.count() == 1 and Ticket.objects.count() == 1


def test_a_crash_half_way_loses_nothing_and_the_retry_works(mailbox, customer, monkeypatch):
    raw = build_mail(sender="li.wei@xinghe-bank.example")
    real = tickets.create_tickets

    def crash(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(tickets, "create_tickets", crash)
    with pytest.raises(DatabaseError):
        ingest.ingest(raw, mailbox)
    assert InboundMail.objects.count() == 0 and Ticket.objects.count() == 0
    monkeypatch.setattr(tickets, "create_tickets", real)
    assert ingest.ingest(raw, mailbox).outcome == Outcome.TICKET_CREATED
    assert Ticket.objects.count() == 1


def test_a_reply_joins_its_ticket_by_message_id_with_the_quote_trimmed(mailbox, customer):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    tickets.change_status(ticket, Status.WAITING_CUSTOMER, actor=None)
    OutboundMail.objects.create(ticket=ticket, message_id="<kh-1-1@kehu.example>")
    reply = build_mail(
        sender="li.wei@xinghe-bank.example",
        subject="Re: 无法登录系统",
        body="好了，谢谢。\n\nOn Tue, 24 Nov 2026 at 10:02, Kehu <support@kehu.example> wrote:\n"
        "> 请清除浏览器缓存后重试。\n",
        in_reply_to="<kh-1-1@kehu.example>",
    )
    record = ingest.ingest(reply, mailbox)
    assert (record.outcome, record.ticket) == (Outcome.REPLY_ADDED, ticket)
    latest = ticket.messages.order_by("-id").first()
    assert latest.body == "好了，谢谢。" and latest.from_requester
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN  # the customer answered: the clock runs again


def test_subject_threading_only_for_the_tickets_own_people(mailbox, customer):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    subject = f"Re: [{ticket.reference}] 无法登录系统"
    own = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example", subject=subject), mailbox)
    assert own.ticket == ticket and own.outcome == Outcome.REPLY_ADDED
    stranger = ingest.ingest(
        build_mail(sender="mallory@evil.example", subject=subject, body="injected"), mailbox
    )
    assert stranger.ticket != ticket
    assert not ticket.messages.filter(body="injected").exists()
    Mailbox.objects.filter(pk=mailbox.pk).update(thread_by_subject=False)
    mailbox.refresh_from_db()
    off = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example", subject=subject), mailbox)
    assert off.ticket != ticket and off.outcome == Outcome.TICKET_CREATED


def test_unknown_senders_are_held_or_become_contacts(mailbox, customer):
    Mailbox.objects.filter(pk=mailbox.pk).update(unknown_senders=Mailbox.UnknownSenders.HOLD)
    mailbox.refresh_from_db()
    held = ingest.ingest(build_mail(sender="new@unknown-company.example"), mailbox)
    assert (held.outcome, held.ticket) == (Outcome.HELD, None)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        unknown_senders=Mailbox.UnknownSenders.CREATE_CONTACT
    )
    mailbox.refresh_from_db()
    colleague = ingest.ingest(
        build_mail(sender="王芳 <wang.fang@xinghe-bank.example>", body="同事的问题"), mailbox
    )
    contact = colleague.ticket.contact
    assert (contact.name, contact.account) == ("王芳", customer.account)  # same company domain
    personal = ingest.ingest(build_mail(sender="Zhao <zhao123@qq.com>"), mailbox)
    assert personal.ticket.contact.account != customer.account
    assert Contact.objects.filter(email="zhao123@qq.com").count() == 1


def test_mail_from_an_employee_is_an_internal_request(mailbox, world):
    employee = EmployeeFactory(email="zhang.min@kehu.example", name="张敏")
    record = ingest.ingest(
        build_mail(sender="zhang.min@kehu.example", subject="申请新笔记本电脑"), mailbox
    )
    ticket = record.ticket
    assert (ticket.requester_employee, ticket.contact, ticket.ticket_type) == (
        employee,
        None,
        "service_request",
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Auto-Response-Suppress": "All"},
        {"Precedence": "bulk"},
        {"List-Id": "<news.example.com>"},
        {"Return-Path": "<>"},
    ],
)
def test_automatic_and_bulk_mail_never_opens_or_answers_tickets(mailbox, customer, headers):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    OutboundMail.objects.create(ticket=ticket, message_id="<kh-9@kehu.example>")
    record = ingest.ingest(
        build_mail(
            sender="li.wei@xinghe-bank.example",
            subject="自动回复: 无法登录系统",
            in_reply_to="<kh-9@kehu.example>",
            headers=headers,
        ),
        mailbox,
    )
    assert record.outcome in (Outcome.AUTO_REPLY, Outcome.BULK)
    assert Ticket.objects.count() == 1 and ticket.messages.count() == 1


def test_a_bounce_is_filed_on_its_ticket_and_flags_the_address(mailbox, customer):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    OutboundMail.objects.create(ticket=ticket, message_id="<kh-42-1001@kehu.example>")
    dsn = (
        b"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.kehu.example>\r\n"
        b"To: support@kehu.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-1@mx.kehu.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.kehu.example\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@xinghe-bank.example\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        b"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <kh-42-1001@kehu.example>\r\nSubject: [KH-1] reply\r\n\r\n--b1--\r\n"
    )
    record = ingest.ingest(dsn, mailbox)
    assert (record.outcome, record.ticket) == (Outcome.BOUNCE, ticket)
    flagged = BouncedAddress.objects.get()
    assert (flagged.address, flagged.status) == ("nobody@xinghe-bank.example", "5.1.1")
    notice = ticket.messages.order_by("-id").first()
    assert notice.kind == Message.Kind.SYSTEM and "nobody@xinghe-bank.example" in notice.body
    assert Ticket.objects.count() == 1


def test_a_mail_storm_from_one_sender_is_kept_but_stops_opening_tickets(mailbox, customer):
    Mailbox.objects.filter(pk=mailbox.pk).update(sender_limit_per_hour=2)
    mailbox.refresh_from_db()
    outcomes = [
        ingest.ingest(
            build_mail(sender="li.wei@xinghe-bank.example", body=f"#{n}"), mailbox
        ).outcome
        for n in range(4)
    ]
    assert outcomes == [Outcome.TICKET_CREATED] * 2 + [Outcome.RATE_LIMITED] * 2
    assert InboundMail.objects.count() == 4 and Ticket.objects.count() == 2


def test_attachments_within_the_limits_are_kept_the_rest_listed(mailbox, customer, settings):
    settings.KEHU_ATTACHMENT_MAX_BYTES = 1000
    record = ingest.ingest(
        build_mail(
            sender="li.wei@xinghe-bank.example",
            attachments=(
                ("发票抬头.pdf", b"%PDF-1.4 tiny", "application/pdf"),
                ("setup.exe", b"MZ", "application/octet-stream"),
                ("scan.pdf", b"x" * 2000, "application/pdf"),
            ),
        ),
        mailbox,
    )
    assert [a.filename for a in record.ticket.attachments.all()] == ["发票抬头.pdf"]
    assert "setup.exe" in record.detail and "scan.pdf" in record.detail


def test_ccd_people_who_may_see_the_ticket_become_watchers(
    mailbox, customer, world, portal_contacts
):
    colleague = portal_contacts[1]
    colleague.account = customer.account  # customer B now works at the same company
    colleague.save()
    outsider = world.outsider
    record = ingest.ingest(
        build_mail(
            sender="li.wei@xinghe-bank.example",
            cc=f"{world.customer_b.email}, {outsider.email}",
        ),
        mailbox,
    )
    watchers = set(record.ticket.watchers.all())
    assert world.customer_b in watchers and outsider not in watchers


def test_a_reply_to_a_closed_ticket_opens_a_linked_follow_up(mailbox, customer):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    OutboundMail.objects.create(ticket=ticket, message_id="<kh-closed@kehu.example>")
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED)
    record = ingest.ingest(
        build_mail(
            sender="li.wei@xinghe-bank.example",
            body="又出现了",
            in_reply_to="<kh-closed@kehu.example>",
        ),
        mailbox,
    )
    follow_up = record.ticket
    assert follow_up != ticket and record.outcome == Outcome.TICKET_CREATED
    assert TicketLink.objects.filter(source=follow_up, target=ticket).exists()


def test_the_stdin_command_stores_a_message_for_an_mta(mailbox, customer):
    raw = build_mail(sender="li.wei@xinghe-bank.example", subject="经由管道")
    result = CliRunner().invoke(app, ["mail-ingest"], input=raw)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["outcome"] == Outcome.TICKET_CREATED
    assert Ticket.objects.get().subject == "经由管道"
    again = CliRunner().invoke(app, ["mail-ingest"], input=raw)
    assert again.exit_code == 0 and Ticket.objects.count() == 1


def test_an_mbox_on_stdin_is_ingested_whole_and_safely_again(mailbox, customer, tmp_path):
    box = mbox_format.mbox(tmp_path / "export.mbox")
    for n in range(3):
        box.add(
            build_mail(
                sender="li.wei@xinghe-bank.example", subject=f"批量 {n}", body="From the start"
            )
        )
    box.close()
    mbox = (tmp_path / "export.mbox").read_bytes()
    assert b">From the start" in mbox  # quoted by the mbox writer
    result = CliRunner().invoke(app, ["mail-ingest", "--mbox"], input=mbox)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["messages"] == 3
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "批量 0",
        "批量 1",
        "批量 2",
    ]
    assert Ticket.objects.get(subject="批量 0").messages.get().body == "From the start"
    CliRunner().invoke(app, ["mail-ingest", "--mbox"], input=mbox)
    assert Ticket.objects.count() == 3


def test_a_message_with_a_10_mb_attachment_is_kept_within_the_limit_and_listed_beyond(
    mailbox, customer, settings
):
    # Generated, not committed: ten megabytes of test data do not belong in the repository.
    big = bytes(range(256)) * (10 * 1024 * 1024 // 256)
    raw = build_mail(
        sender="li.wei@xinghe-bank.example",
        subject="扫描件",
        attachments=(("合同扫描件.pdf", big, "application/pdf"),),
    )
    assert len(raw) > 13 * 1024 * 1024  # base64 on the wire
    kept = ingest.ingest(raw, mailbox)
    [attachment] = kept.ticket.attachments.all()
    assert attachment.size == len(big)
    with attachment.file.open("rb") as stored:
        assert stored.read() == big
    settings.KEHU_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    other = build_mail(
        sender="li.wei@xinghe-bank.example",
        subject="扫描件（第二份）",
        attachments=(("合同扫描件2.pdf", big, "application/pdf"),),
    )
    limited = ingest.ingest(other, mailbox)
    assert limited.outcome == Outcome.TICKET_CREATED
    assert not limited.ticket.attachments.exists() and "合同扫描件2.pdf" in limited.detail
