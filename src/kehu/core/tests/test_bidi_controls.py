"""Bidirectional control characters cannot spoof a subject, a name or a file name: each input
edge (forms, API bodies, uploads, mail, imports) cleans them with ``core.text.clean_line``."""

from email.header import Header
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.conftest import client_for
from kehu.core.tabular import read_table
from kehu.core.text import BIDI_CONTROLS, clean_line
from kehu.customers.forms import ContactForm
from kehu.customers.models import Account
from kehu.desk.models import Attachment, Ticket
from kehu.desk.tests import factories as f
from kehu.desk.tickets.forms import PortalTicketForm
from kehu.mail.parsing import parse

SPOOF = "invoice\u202efdp.exe"  # shows as "invoiceexe.pdf"


def test_clean_line_drops_every_bidi_control_and_keeps_everything_else():
    assert clean_line(SPOOF) == "invoicefdp.exe"
    assert clean_line("".join(BIDI_CONTROLS)) == ""
    assert clean_line("\u2067شركة\u2069 华东 ACME") == "شركة 华东 ACME"
    assert clean_line("") == ""


def test_forms_clean_one_line_inputs_but_not_text_areas():
    form = PortalTicketForm(
        data={
            "subject": "打印机\u202e坏了",
            "ticket_type": "question",
            "impact": "individual",
            "severity": "medium",
            "body": "مرحبا\u200f 你好",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["subject"] == "打印机坏了"
    assert form.cleaned_data["body"] == "مرحبا\u200f 你好"  # free text keeps its marks


@pytest.mark.django_db
def test_a_model_form_saves_the_cleaned_name():
    account = Account.objects.create(name="甲公司")
    form = ContactForm(data={"account": account.pk, "name": "张\u202e伟", "language": "zh-hans"})
    form.is_valid()
    assert form.cleaned_data["name"] == "张伟"


@pytest.mark.django_db
def test_api_bodies_lose_bidi_controls_in_subjects_and_names(world):
    f.policy(f.always_calendar(), first=60, nxt=30, resolution=240)
    contact = f.contact("甲公司")
    created = client_for(world.agent).post(
        "/api/desk/tickets",
        {
            "subject": SPOOF,
            "body": "see attachment",
            "contact_id": contact.pk,
            "department_id": world.support.pk,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert Ticket.objects.get(pk=created.json()["id"]).subject == "invoicefdp.exe"

    account = Account.objects.create(name="乙公司")
    patched = client_for(world.admin).patch(
        f"/api/customers/accounts/{account.pk}",
        {"name": "乙\u2066公司\u2069", "version": account.version},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert Account.objects.get(pk=account.pk).name == "乙公司"


@pytest.mark.django_db
def test_uploaded_file_names_are_cleaned_at_the_door(world):
    f.policy(f.always_calendar(), first=60, nxt=30, resolution=240)
    ticket = f.ticket(world.support)
    upload = SimpleUploadedFile("report\u202etxt.exe.txt", b"hello", content_type="text/plain")
    response = client_for(world.agent).post(
        f"/api/desk/tickets/{ticket.pk}/messages",
        {"body": "attached", "kind": "public", "attachments": [upload]},
    )
    assert response.status_code == 201, response.content
    assert Attachment.objects.get(ticket=ticket).filename == "reporttxt.exe.txt"


def test_mail_subjects_sender_names_and_attachment_names_are_cleaned():
    message = EmailMessage()
    message["From"] = Header("王\u202e芳", "utf-8").encode() + " <wang@example.com>"
    message["To"] = "support@example.com"
    message["Subject"] = Header("账单 \u202egpj.exe", "utf-8").encode()
    message.set_content("请看附件")
    message.add_attachment(
        b"data", maintype="application", subtype="pdf", filename="账单\u202efdp.exe"
    )
    parsed = parse(message.as_bytes())
    assert parsed.subject == "账单 gpj.exe"
    assert parsed.sender_name == "王芳"
    assert [a.filename for a in parsed.attachments] == ["账单fdp.exe"]


def test_imported_cells_are_cleaned():
    data = "name,email\n\u202e丙公司,c@example.com\n".encode()
    rows = read_table("contacts.csv", data, required=["name"])
    assert rows[0].values["name"] == "丙公司"
