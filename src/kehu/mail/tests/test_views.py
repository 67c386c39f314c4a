"""Mail pages: mailbox administration and the review of held mail, with their permissions."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.conftest import client_for
from kehu.customers.models import Contact
from kehu.mail import ingest
from kehu.mail.models import InboundMail, Mailbox
from kehu.mail.tests.conftest import build_mail

pytestmark = pytest.mark.django_db
Outcome = InboundMail.Outcome


def test_an_administrator_sets_up_a_mailbox_and_the_password_never_shows(world):
    client = client_for(world.admin)
    response = client.post(
        "/mail/mailboxes/new/",
        {
            "department": world.support.pk,
            "address": "help@kehu.example",
            "is_active": "on",
            "unknown_senders": "hold",
            "thread_by_subject": "on",
            "sender_limit_per_hour": 30,
            "imap_host": "imap.kehu.example",
            "imap_port": 993,
            "imap_security": "ssl",
            "imap_user": "help",
            "new_password": "s3cret-imap",
            "imap_folder": "INBOX",
        },
    )
    mailbox = Mailbox.objects.get(address="help@kehu.example")
    assert response.status_code == 302 and mailbox.imap_password == "s3cret-imap"
    edit = client.get(f"/mail/mailboxes/{mailbox.pk}/edit/").content.decode()
    assert "s3cret-imap" not in edit
    assert "s3cret-imap" not in client.get(f"/mail/mailboxes/{mailbox.pk}/").content.decode()
    stale = client.post(
        f"/mail/mailboxes/{mailbox.pk}/edit/",
        {
            "version": mailbox.version + 5,
            "department": world.support.pk,
            "address": "help@kehu.example",
            "unknown_senders": "hold",
            "sender_limit_per_hour": 5,
            "imap_port": 993,
            "imap_security": "ssl",
            "imap_folder": "INBOX",
        },
    )
    assert stale.status_code == 409
    mailbox.refresh_from_db()
    assert mailbox.sender_limit_per_hour == 30 and mailbox.imap_password == "s3cret-imap"


def test_only_administrators_see_mailboxes(world, mailbox):
    for user in (world.agent, world.customer_a, world.lead):
        assert client_for(user).get("/mail/mailboxes/").status_code == 403
        assert client_for(user).get(f"/mail/mailboxes/{mailbox.pk}/").status_code in (403, 404)


def test_the_desk_releases_or_discards_held_mail(world, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(unknown_senders="hold")
    mailbox.refresh_from_db()
    first = ingest.ingest(build_mail(sender="新客户 <new@prospect.example>"), mailbox)
    second = ingest.ingest(build_mail(sender="spam@spam.example", subject="便宜发票"), mailbox)
    agent = client_for(world.agent)
    listing = agent.get("/mail/received/").content.decode()
    assert listing.count('data-testid="received-mail"') == 2
    assert agent.post(f"/mail/received/{first.pk}/release/").status_code == 302
    first.refresh_from_db()
    assert first.outcome == Outcome.TICKET_CREATED and first.ticket is not None
    assert Contact.objects.get(email="new@prospect.example").name == "新客户"
    assert agent.post(f"/mail/received/{second.pk}/discard/").status_code == 302
    second.refresh_from_db()
    assert second.outcome == Outcome.REJECTED and second.ticket is None
    again = agent.post(f"/mail/received/{second.pk}/release/")  # no longer held
    assert again.status_code == 302
    second.refresh_from_db()
    assert second.ticket is None


def test_customers_never_see_received_mail(world, mailbox):
    record = ingest.ingest(build_mail(sender="someone@else.example"), mailbox)
    client = client_for(world.customer_a)
    assert client.get("/mail/received/").status_code == 403
    assert client.get(f"/mail/received/{record.pk}/").status_code in (403, 404)
    assert client.post(f"/mail/received/{record.pk}/discard/").status_code in (403, 404)


def test_the_api_manages_mailboxes_and_never_returns_the_password(world, mailbox):
    admin = client_for(world.admin)
    listed = admin.get("/api/mail/mailboxes").json()
    assert [m["address"] for m in listed] == ["support@kehu.example"]
    body = {
        "department_id": world.support.pk,
        "address": "ops@kehu.example",
        "imap_host": "imap.kehu.example",
        "imap_user": "ops",
        "imap_password": "pw-imap",
    }
    created = admin.post("/api/mail/mailboxes", body, content_type="application/json")
    assert created.status_code == 201
    out = created.json()
    assert out["has_imap_password"] is True and "pw-imap" not in created.content.decode()
    stale = admin.put(
        f"/api/mail/mailboxes/{out['id']}",
        {**body, "imap_password": "", "version": 9},
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = admin.post(
        "/api/mail/mailboxes",
        {**body, "address": "not an address"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert client_for(world.agent).get("/api/mail/mailboxes").status_code == 403


def test_the_api_takes_a_raw_message_once_and_lists_held_mail(world, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(unknown_senders="hold")
    raw = build_mail(sender="walk-in@nowhere.example")
    admin = client_for(world.admin)
    url = f"/api/mail/mailboxes/{mailbox.pk}/messages"
    first = admin.post(url, {"message": SimpleUploadedFile("m.eml", raw)})
    again = admin.post(url, {"message": SimpleUploadedFile("m.eml", raw)})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"] and first.json()["outcome"] == "held"
    agent = client_for(world.agent)
    held = agent.get("/api/mail/received", {"outcome": "held"}).json()
    assert [r["sender"] for r in held["results"]] == ["walk-in@nowhere.example"]
    released = agent.post(f"/api/mail/received/{first.json()['id']}/release")
    assert released.status_code == 200 and released.json()["ticket_id"]
    assert client_for(world.customer_a).get("/api/mail/received").status_code == 403
