"""The ticket lifecycle: intake, conversation, status rules, priority, SLA clocks."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.conftest import DepartmentFactory
from kehu.desk import tickets
from kehu.desk.models import Message, Status, Target
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    department = DepartmentFactory(code="SUP", name="客户服务中心")
    calendar = f.always_calendar()
    f.policy(calendar, first=60, nxt=30, resolution=240)
    return department


def test_a_new_ticket_has_a_reference_a_policy_and_due_times(desk):
    ticket = f.ticket(desk, impact="organisation", severity="critical")
    assert ticket.reference == f"KH-{ticket.pk}"
    assert ticket.priority == "urgent"  # from the matrix
    ticket.refresh_from_db()
    assert ticket.sla_policy.name == "Standard"
    first = ticket.clocks.get(target=Target.FIRST_RESPONSE)
    assert first.due_at == ticket.created_at + timedelta(minutes=60)
    assert ticket.next_due_at == first.due_at
    assert first.warn_at == ticket.created_at + timedelta(minutes=45)


def test_first_public_staff_reply_stops_the_first_response_clock(desk, world):
    ticket = f.ticket(desk)
    tickets.add_message(ticket, actor=world.agent, body="内部看看", kind=Message.Kind.INTERNAL)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # notes do not count
    tickets.add_message(ticket, actor=world.agent, body="已收到", automatic=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # nor do automatic messages
    tickets.add_message(ticket, actor=world.agent, body="您好，我们正在处理")
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == Status.OPEN
    assert ticket.clocks.get(target=Target.FIRST_RESPONSE).stopped_at == ticket.first_response_at


def test_each_unanswered_customer_message_starts_a_next_response_cycle(desk, world):
    ticket = f.ticket(desk)
    tickets.add_message(ticket, actor=world.agent, body="first answer")
    tickets.add_message(ticket, actor=None, body="还是不行", from_requester=True)
    tickets.add_message(ticket, actor=None, body="补充一下", from_requester=True)
    running = ticket.clocks.filter(target=Target.NEXT_RESPONSE, stopped_at__isnull=True)
    assert running.count() == 1  # the second message does not restart the clock
    tickets.add_message(ticket, actor=world.agent, body="second answer")
    tickets.add_message(ticket, actor=None, body="又坏了", from_requester=True)
    cycles = ticket.clocks.filter(target=Target.NEXT_RESPONSE).order_by("cycle")
    assert [c.stopped_at is None for c in cycles] == [False, True]


def test_waiting_on_customer_pauses_and_a_reply_resumes(desk, world):
    ticket = f.ticket(desk)
    ticket = tickets.update_ticket(
        ticket,
        actor=world.agent,
        expected_version=ticket.version,
        changes={"status": Status.WAITING_CUSTOMER},
    )
    resolution = ticket.clocks.get(target=Target.RESOLUTION)
    assert resolution.due_at is None  # paused: no due time
    tickets.add_message(ticket, actor=None, body="信息在这里", from_requester=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.clocks.get(target=Target.RESOLUTION).due_at is not None
    assert ticket.pauses.get().ended_at is not None


def test_transitions_are_validated(desk, world):
    ticket = f.ticket(desk)
    ticket = tickets.change_status(ticket, Status.RESOLVED, actor=world.agent)
    ticket = tickets.change_status(ticket, Status.CLOSED, actor=world.agent)
    with pytest.raises(ValidationError):
        tickets.change_status(ticket, Status.OPEN, actor=world.agent)
    with pytest.raises(ValidationError):
        tickets.add_message(ticket, actor=None, body="再问一下", from_requester=True)


def test_priority_override_needs_a_reason(desk, world):
    ticket = f.ticket(desk)
    with pytest.raises(ValidationError) as caught:
        tickets.update_ticket(
            ticket,
            actor=world.agent,
            expected_version=ticket.version,
            changes={"priority": "urgent"},
        )
    assert "priority_reason" in caught.value.message_dict
    ticket = tickets.update_ticket(
        ticket,
        actor=world.agent,
        expected_version=ticket.version,
        changes={"priority": "urgent", "priority_reason": "VIP launch day"},
    )
    assert (ticket.priority, ticket.priority_reason) == ("urgent", "VIP launch day")


def test_reopen_does_not_count_the_resolved_span(desk, world):
    ticket = f.ticket(desk)
    ticket = tickets.change_status(ticket, Status.RESOLVED, actor=world.agent)
    assert ticket.clocks.get(target=Target.RESOLUTION).stopped_at is not None
    tickets.add_message(ticket, actor=None, body="问题又出现了", from_requester=True)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.resolved_at is None
    clock = ticket.clocks.get(target=Target.RESOLUTION)
    assert clock.stopped_at is None
    assert ticket.pauses.filter(status=Status.RESOLVED).count() == 1


def test_auto_close_after_the_department_period(desk, world):
    ticket = f.ticket(desk)
    tickets.change_status(ticket, Status.RESOLVED, actor=world.agent)
    later = timezone.now() + timedelta(days=8)
    assert tickets.auto_close(now=later) == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_every_change_is_in_the_ticket_history(desk, world):
    from kehu.audit.selectors import history_rows

    ticket = f.ticket(desk)
    ticket = tickets.update_ticket(
        ticket,
        actor=world.agent,
        expected_version=ticket.version,
        changes={"priority": "urgent", "priority_reason": "客户高层投诉"},
        tags=["VIP"],
    )
    tickets.change_status(ticket, Status.WAITING_CUSTOMER, actor=world.agent)
    text = " ".join(str(row) for row in history_rows(ticket))
    for expected in ("urgent", "客户高层投诉", "waiting", "VIP"):
        assert expected.lower() in text.lower(), expected


def test_a_calendar_edit_reaches_the_loaded_policy_set(desk, world):
    from datetime import time

    from kehu.desk.models import BusinessCalendar
    from kehu.desk.sla import clocks, services
    from kehu.desk.sla.services import IntervalSpec

    ticket = f.ticket(desk)
    before = clocks.match_for(ticket).calendar
    calendar = BusinessCalendar.objects.get(name="24/7")
    services.calendar_update(
        calendar=calendar,
        expected_version=calendar.version,
        fields={"name": "24/7", "time_zone": "UTC"},
        intervals=[IntervalSpec(d, time(9), time(17)) for d in range(5)],
        days=[],
    )
    after = clocks.match_for(ticket).calendar
    assert before.weekly != after.weekly and after.weekly[0] == ((time(9), time(17)),)
