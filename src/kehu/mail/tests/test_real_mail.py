"""Mail as real users and servers send it: raw UTF-8 headers, our own mail coming back, bounces
with message/rfc822-headers, broken messages, archives, refused and large attachments."""

import base64
from pathlib import Path

import pytest

from kehu.conftest import client_for
from kehu.desk.models import Message, Ticket
from kehu.mail import ingest, outbound
from kehu.mail.models import InboundMail, Mailbox, OutboundMail
from kehu.mail.tests.conftest import build_mail
from kehu.notify.delivery import thread_headers
from kehu.notify.models import Notification

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome
CORPUS = Path(__file__).parent / "corpus"


# --- 8: RFC 6532 raw UTF-8 headers ------------------------------------------------------------

RAW_UTF8 = (
    "From: 张伟 <zhang.wei@huaxing-soft.example>\r\n"
    "To: support@kehu.example\r\n"
    "Subject: 系统报错 500\r\n"
    "Date: Fri, 04 Dec 2026 09:30:00 +0800\r\n"
    "Message-ID: <raw-utf8-1@huaxing-soft.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "打开报表时页面显示 500 错误。\r\n"
).encode()


def test_raw_utf8_subject_and_display_name_survive(mailbox):
    record = ingest.ingest(RAW_UTF8, mailbox)
    assert record.outcome == Outcome.TICKET_CREATED
    ticket = record.ticket
    assert ticket.subject == "系统报错 500" and record.subject == "系统报错 500"
    assert (
        ticket.contact.name == "张伟" and ticket.contact.email == "zhang.wei@huaxing-soft.example"
    )
    assert "\ufffd" not in ticket.messages.get().body


# --- 9: mail loops ------------------------------------------------------------------------------


def test_mail_from_our_own_mailboxes_opens_no_ticket(mailbox, world):
    Mailbox.objects.create(department=world.support, address="it@kehu.example", is_active=False)
    for sender in ("Kehu <support@kehu.example>", "IT <IT@kehu.example>"):
        record = ingest.ingest(build_mail(sender=sender, subject=f"from {sender}"), mailbox)
        assert record.outcome == Outcome.LOOP and record.ticket is None
    assert not Ticket.objects.exists()


def test_mail_carrying_our_x_loop_opens_no_ticket(mailbox, customer):
    raw = build_mail(
        sender="li.wei@xinghe-bank.example",
        subject="Fwd: [KH-9] 回复",
        headers={"X-Loop": "support@kehu.example"},
    )
    record = ingest.ingest(raw, mailbox)
    assert record.outcome == Outcome.LOOP and not Ticket.objects.exists()
    # Another desk's X-Loop is not ours: that mail is a customer's as usual.
    other = build_mail(
        sender="li.wei@xinghe-bank.example", headers={"X-Loop": "desk@other.example"}
    )
    assert ingest.ingest(other, mailbox).outcome == Outcome.TICKET_CREATED


def test_what_we_send_carries_x_loop_and_is_recognised_when_it_comes_back(mailbox, customer):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    reply = Message.objects.create(
        ticket=ticket, body="请清除缓存后重试。", kind=Message.Kind.PUBLIC
    )
    queued = outbound.queue_reply(reply)
    sent = outbound.build_email(queued).message()
    assert sent["X-Loop"] == "support@kehu.example"
    # Echoed back by a customer's forwarding rule, from the customer's own address:
    echoed = sent.as_bytes().replace(
        b"From: Kehu <support@kehu.example>", b"From: li.wei@xinghe-bank.example"
    )
    echoed = echoed.replace(queued.message_id.encode(), b"<echo-1@xinghe-bank.example>")
    assert ingest.ingest(echoed, mailbox).outcome == Outcome.LOOP
    assert ticket.messages.count() == 2  # the request and our reply, nothing more
    notification = Notification(pk=7, ticket=ticket)
    assert thread_headers(notification)["X-Loop"] == "kehu@localhost"


# --- 10: bounces and broken messages ------------------------------------------------------------


def test_a_bounce_with_message_rfc822_headers_is_filed_on_its_ticket(mailbox, customer):
    ticket = ingest.ingest(build_mail(sender="li.wei@xinghe-bank.example"), mailbox).ticket
    OutboundMail.objects.create(ticket=ticket, message_id="<kh-77-5@kehu.example>")
    dsn = (
        b"Return-Path: <>\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.xinghe-bank.example>\r\n"
        b"To: support@kehu.example\r\nSubject: Delivery Status Notification (Failure)\r\n"
        b"Message-ID: <dsn-2@mx.xinghe-bank.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r2"\r\n\r\n'
        b"--r2\r\nContent-Type: text/plain\r\n\r\nDelivery has failed.\r\n"
        b"--r2\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.xinghe-bank.example\r\n\r\n"
        b"Final-Recipient: rfc822; gone@xinghe-bank.example\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n\r\n"
        b"--r2\r\nContent-Type: message/rfc822-headers\r\n\r\n"
        b"From: Kehu <support@kehu.example>\r\nMessage-ID: <kh-77-5@kehu.example>\r\n"
        b"Subject: [KH-77] reply\r\n\r\n--r2--\r\n"
    )
    record = ingest.ingest(dsn, mailbox)
    assert (record.outcome, record.ticket) == (Outcome.BOUNCE, ticket)
    assert "gone@xinghe-bank.example" in ticket.messages.order_by("-id").first().body


def test_parse_defects_are_recorded_and_shown_on_the_received_mail_page(mailbox, world):
    record = ingest.ingest((CORPUS / "malformed.eml").read_bytes(), mailbox)
    assert {
        "CloseBoundaryNotFoundDefect",
        "InvalidDateDefect",
    } <= set(record.problems)
    assert any(p.startswith("InvalidBase64") for p in record.problems)
    record.refresh_from_db()
    assert record.problems
    page = client_for(world.admin).get(f"/mail/received/{record.pk}/").content.decode()
    assert "The message ends before its closing boundary (cut off)." in page
    assert "The Date header cannot be read." in page


def test_a_truncated_attachment_is_flagged_not_stored(mailbox, customer):
    content = base64.b64encode(b"%PDF-1.4 " + bytes(range(256)) * 40).decode()
    raw = (
        "From: li.wei@xinghe-bank.example\r\nTo: support@kehu.example\r\n"
        "Subject: 合同\r\nMessage-ID: <cut-1@xinghe-bank.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="m1"\r\n\r\n'
        "--m1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n合同见附件。\r\n"
        '--m1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="合同.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        # The connection dropped mid-line: no end of the base64, no closing boundary.
        + content[:1001]
    ).encode()
    record = ingest.ingest(raw, mailbox)
    assert record.outcome == Outcome.TICKET_CREATED
    assert not record.ticket.attachments.exists()
    assert record.refused_attachments == [{"name": "合同.pdf", "reason": "damaged"}]
    assert "合同.pdf" in record.detail


# --- 11: archives, refused attachments on the ticket, large raw messages ----------------------


def test_common_archives_are_accepted(mailbox, customer):
    archives = tuple(
        (f"logs{suffix}", b"PK\x03\x04 archive bytes" + suffix.encode(), "application/octet-stream")
        for suffix in (".gz", ".tgz", ".zip", ".7z", ".rar")
    )
    raw = build_mail(sender="li.wei@xinghe-bank.example", attachments=archives)
    record = ingest.ingest(raw, mailbox)
    names = sorted(record.ticket.attachments.values_list("filename", flat=True))
    assert names == sorted(name for name, _c, _t in archives)
    assert record.refused_attachments == []


def test_refused_attachments_are_shown_on_the_ticket_with_their_reason(mailbox, customer, world):
    raw = build_mail(
        sender="li.wei@xinghe-bank.example",
        attachments=(("setup.exe", b"MZ\x90\x00", "application/octet-stream"),),
    )
    record = ingest.ingest(raw, mailbox)
    assert record.refused_attachments == [{"name": "setup.exe", "reason": "type"}]
    page = client_for(world.admin).get(f"/desk/tickets/{record.ticket.pk}/").content.decode()
    assert "setup.exe" in page and "type not accepted" in page


def test_a_large_raw_message_is_kept_as_a_file_and_read_back(mailbox, customer, settings, world):
    settings.KEHU_MAIL_RAW_FILE_BYTES = 2048
    small = build_mail(sender="li.wei@xinghe-bank.example", subject="小")
    large = build_mail(
        sender="li.wei@xinghe-bank.example",
        subject="大",
        attachments=(("log.txt", b"line of log\n" * 1000, "text/plain"),),
    )
    kept_small, kept_large = ingest.ingest(small, mailbox), ingest.ingest(large, mailbox)
    kept_small.refresh_from_db()
    kept_large.refresh_from_db()
    assert kept_small.raw_file == "" and kept_small.raw_bytes() == small
    assert kept_large.raw_file and bytes(kept_large.raw) == b""
    assert kept_large.raw_bytes() == large
    assert Path(settings.KEHU_ATTACHMENT_ROOT, kept_large.raw_file).read_bytes() == large
    page = client_for(world.admin).get(f"/mail/received/{kept_large.pk}/")
    assert page.status_code == 200 and "log.txt" in page.content.decode()
