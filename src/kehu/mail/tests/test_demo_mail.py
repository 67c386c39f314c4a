import pytest

from kehu.access.models import User
from kehu.conftest import client_for
from kehu.demo import build_demo
from kehu.mail.models import InboundMail, Mailbox

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_mailbox_with_an_email_ticket_a_held_message_and_an_auto_reply():
    build_demo(dossier=False)
    build_demo(dossier=False)  # a second run adds nothing: every message is recognised
    assert Mailbox.objects.get().address == "support@kehu.example"
    outcomes = sorted(InboundMail.objects.values_list("outcome", flat=True))
    assert outcomes == ["auto_reply", "held", "ticket_created"]
    ticket = InboundMail.objects.get(outcome="ticket_created").ticket
    assert ticket.channel == "email" and ticket.contact.user.username == "customer"
    admin = client_for(User.objects.get(username="admin"))
    assert "support@kehu.example" in admin.get("/mail/mailboxes/").content.decode()
