import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.audit.selectors import history_rows
from kehu.conftest import DepartmentFactory, EmployeeFactory

pytestmark = pytest.mark.django_db


def test_history_names_fields_and_related_objects_not_ids(world):
    employee = EmployeeFactory(department=world.finance, name="张伟")
    with audit_context(channel=Channel.WEB, actor=world.admin):
        employee.department = world.support
        employee.is_away = True
        employee.save()
    latest = history_rows(employee)[0]
    assert latest.entry.channel == Channel.WEB and latest.entry.actor == world.admin
    shown = {c.label: (c.before, c.after) for c in latest.changes}
    assert shown["department"] == (str(world.finance), str(world.support))
    assert shown["away"] == ("no", "yes")


def test_history_reads_related_names_in_a_fixed_number_of_queries(world):
    employee = EmployeeFactory(department=world.finance)
    departments = [DepartmentFactory() for _ in range(10)]
    for department in departments:
        employee.department = department
        employee.save()
    with CaptureQueriesContext(connection) as captured:
        rows = history_rows(employee)
    assert len(rows) == 11
    assert len(captured) <= 4


def test_long_multi_line_values_show_only_the_lines_that_changed(world):
    from datetime import time

    from kehu.desk.sla.services import IntervalSpec, calendar_create, calendar_update

    week = [IntervalSpec(d, time(9), time(18)) for d in range(5)]
    calendar = calendar_create(fields={"name": "丙", "time_zone": "UTC"}, intervals=week, days=[])
    saturday = [*week, IntervalSpec(5, time(10), time(14))]
    calendar_update(calendar=calendar, expected_version=1, fields={}, intervals=saturday, days=[])
    change = next(c for c in history_rows(calendar)[0].changes if c.label == "schedule")
    assert (change.before, change.after) == ("", "Sat 10:00-14:00")


def test_tickets_opened_in_bulk_have_their_created_entry_with_actor_and_channel(world):
    from kehu.desk import tickets
    from kehu.desk.tests import factories as f

    contact = f.contact("甲公司")
    requests = [
        tickets.NewTicket(
            subject=subject,
            body="请帮忙",
            department=world.support,
            channel="email",
            contact=contact,
        )
        for subject in ("发票抬头错误", "无法登录")
    ]
    with audit_context(channel=Channel.IMPORT, actor=world.admin):
        opened = tickets.create_tickets(requests, actor=None)
    for ticket in opened:
        [created] = history_rows(ticket)
        assert created.entry.action == created.entry.Action.CREATE
        assert (created.entry.channel, created.entry.actor) == (Channel.IMPORT, world.admin)
        assert created.entry.object_repr == str(ticket)
        assert ("subject" in created.entry.changes) and ticket.subject in str(created.entry.changes)
