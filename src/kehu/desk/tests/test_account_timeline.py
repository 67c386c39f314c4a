"""Tickets appear on their account's timeline and follow the ticket's changes."""

from django.utils import translation

from kehu.customers.models import TimelineEntry
from kehu.desk import tickets
from kehu.desk.account_timeline import sync_ticket
from kehu.desk.models import Status
from kehu.desk.tests import factories as f


def _lines(account):
    return list(TimelineEntry.objects.filter(account=account).values_list("kind", "summary_en"))


def test_a_new_ticket_is_one_restricted_line_on_its_account(world, after_commit):
    ticket = after_commit(f.ticket, world.support, subject="发票抬头错误")
    entry = TimelineEntry.objects.get(account=ticket.account)
    assert entry.kind == TimelineEntry.Kind.TICKET
    assert entry.title == f"{ticket.reference} 发票抬头错误"
    assert entry.restricted
    assert entry.url == f"/desk/tickets/{ticket.pk}/"


def test_the_line_follows_status_and_type_without_duplicates(world, after_commit):
    ticket = after_commit(f.ticket, world.support)
    after_commit(tickets.change_status, ticket, Status.RESOLVED, actor=world.agent)
    assert _lines(ticket.account) == [("ticket", "Question · Resolved")]
    line = TimelineEntry.objects.get()
    with translation.override("zh-hans"):
        assert line.display_summary == "咨询 · 已解决"
    with translation.override("en"):
        assert line.display_summary == "Question · Resolved"

    ticket.refresh_from_db()
    after_commit(
        tickets.update_ticket,
        ticket,
        actor=world.admin,
        expected_version=ticket.version,
        changes={"ticket_type": "complaint"},
    )
    assert _lines(ticket.account) == [("complaint", "Complaint · Resolved")]


def test_tickets_without_an_account_leave_no_line(world, after_commit):
    from kehu.conftest import EmployeeFactory

    ticket = after_commit(f.ticket, world.support, employee=EmployeeFactory())
    sync_ticket(ticket.pk)
    assert not TimelineEntry.objects.exists()
