"""Fixtures for the email channel: a support mailbox and messages built as clients send them."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from django.utils import timezone

from kehu.desk.tests.conftest import after_commit, portal_contacts  # noqa: F401  (fixtures)
from kehu.mail.models import Mailbox


@pytest.fixture
def mailbox(world):
    return Mailbox.objects.create(department=world.support, address="support@kehu.example")


@pytest.fixture
def customer(portal_contacts):  # noqa: F811  (portal_contacts is the fixture imported above)
    """Customer A's portal contact, writing from li.wei@xinghe-bank.example."""
    contact = portal_contacts[0]
    contact.email = "li.wei@xinghe-bank.example"
    contact.save()
    return contact


def build_mail(
    *,
    sender: str,
    subject: str = "无法登录系统",
    body: str = "登录时提示密码错误。",
    to: str = "support@kehu.example",
    cc: str = "",
    message_id: str | None = None,
    in_reply_to: str = "",
    headers: dict[str, str] | None = None,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> bytes:
    """A message as a mail client sends it (UTF-8, encoded words where needed)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = message_id or make_msgid(domain="client.example")
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
        mail["References"] = in_reply_to
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    for filename, content, content_type in attachments:
        main, sub = content_type.split("/")
        mail.add_attachment(content, maintype=main, subtype=sub, filename=filename)
    return bytes(mail)
