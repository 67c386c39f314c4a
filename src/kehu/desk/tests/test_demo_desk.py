import pytest

from kehu.access.models import User
from kehu.conftest import client_for
from kehu.demo import build_demo
from kehu.desk.models import Status, Ticket

pytestmark = pytest.mark.django_db


def test_demo_desk_has_tickets_in_every_state_and_a_working_portal_user():
    counts = build_demo(dossier=False)
    assert counts["tickets"] >= 10
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {
        Status.NEW,
        Status.OPEN,
        Status.WAITING_CUSTOMER,
        Status.RESOLVED,
        Status.CLOSED,
    } <= statuses
    assert Ticket.objects.filter(
        sla_breached=True
    ).exists()  # the queue shows what overdue looks like
    assert Ticket.objects.filter(requester_employee__isnull=False).exists()  # internal requests
    history = Ticket.objects.filter(subject__startswith="[历史]")
    assert history.count() >= 50
    # SLAs met and missed: first answers in minutes for some, a day late for others.
    assert (
        history.filter(sla_breached=True).exists() and history.filter(sla_breached=False).exists()
    )
    from kehu.feedback.models import CallbackTask, SatisfactionRating

    assert SatisfactionRating.objects.count() >= 20 and CallbackTask.objects.exists()
    customer = User.objects.get(username="customer")
    own_account = customer.contact.account_id
    page = client_for(customer).get("/portal/", {"show": "all"}).content.decode()
    for ticket in Ticket.objects.exclude(account_id=own_account):
        assert f"/portal/tickets/{ticket.pk}/" not in page
    assert f"/portal/tickets/{Ticket.objects.filter(account_id=own_account).first().pk}/" in page
    agent_page = client_for(User.objects.get(username="agent")).get("/desk/tickets/")
    assert agent_page.status_code == 200
