"""Demo mail: the support mailbox and a few messages taken in through the real ingest path."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from kehu.customers.models import Contact
from kehu.mail import ingest
from kehu.mail.models import Mailbox
from kehu.org.models import Department

DEMO_ADDRESS = "support@kehu.example"


def _message(sender: str, subject: str, body: str, message_id: str, **headers: str) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, DEMO_ADDRESS, subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return bytes(mail)


def build_mail_demo() -> int:
    """Idempotent: the same messages are recognised as repeats on every run."""
    support = Department.objects.filter(code="SUPPORT").first()
    if support is None:
        return 0
    mailbox, _created = Mailbox.objects.get_or_create(
        address=DEMO_ADDRESS,
        defaults={
            "department": support,
            "display_name": "客户服务中心 Kehu Support",
            # A B2B desk: strangers' mail waits for review instead of opening tickets.
            "unknown_senders": Mailbox.UnknownSenders.HOLD,
        },
    )
    contact = Contact.objects.filter(user__username="customer").first()
    messages = []
    if contact is not None and contact.email:
        messages.append(
            _message(
                f"{contact.name} <{contact.email}>",
                "对账单金额与合同不一致",
                "您好：\n\n本月对账单金额比合同多了 3,200 元，麻烦核对后回复。\n\n谢谢",
                "<demo-statement@customer.example>",
            )
        )
        messages.append(
            _message(
                f"{contact.name} <{contact.email}>",
                "自动回复: 对账单金额与合同不一致",
                "我正在休假，11 月 30 日返回。",
                "<demo-ooo@customer.example>",
                Auto_Submitted="auto-replied",
            )
        )
    messages.append(
        _message(
            "Dana Whitfield <dana@unknown-company.example>",
            "Question about data export and pricing",
            "Hello,\n\nWe are evaluating Kehu for 25 agents. Can we export tickets to CSV?\n\nDana",
            "<demo-prospect@unknown-company.example>",
        )
    )
    for raw in messages:
        ingest.ingest(raw, mailbox)
    return len(messages)
