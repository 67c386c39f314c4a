"""Who takes a new ticket: round robin order, least load, away people and their backups."""

from datetime import timedelta

import pytest
from django.utils import timezone

from kehu.access.models import Role
from kehu.conftest import DepartmentFactory, EmployeeFactory, make_user
from kehu.desk import tickets
from kehu.desk.models import AssignmentStrategy, Status
from kehu.desk.tests import factories as f
from kehu.org.models import KeyRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """A department with three signed-up agents (in id order) and a strategy to set."""
    department = DepartmentFactory(code="SUP", name="客户服务中心")
    people = [
        EmployeeFactory(department=department, user=make_user(f"agent{n}", (Role.AGENT, None)))
        for n in range(3)
    ]
    return department, people


def _strategy(department, strategy):
    row = tickets.desk_settings(department)
    row.assignment_strategy = strategy
    row.save()


def test_round_robin_serves_each_member_in_turn_and_wraps_around(team):
    department, (a, b, c) = team
    _strategy(department, AssignmentStrategy.ROUND_ROBIN)
    assert tickets.choose_assignees(department, 4) == [a, b, c, a]
    # The rotation carries over between intakes: the next one continues after ``a``.
    assert tickets.choose_assignees(department, 2) == [b, c]
    assert [f.ticket(department).assignee for _ in range(2)] == [a, b]


def test_round_robin_skips_away_people_and_takes_them_back_when_they_return(team):
    department, (a, b, c) = team
    _strategy(department, AssignmentStrategy.ROUND_ROBIN)
    b.is_away = True
    b.away_until = timezone.localdate() + timedelta(days=2)
    b.save()
    assert tickets.choose_assignees(department, 3) == [a, c, a]
    b.away_until = timezone.localdate() - timedelta(days=1)  # back since yesterday
    b.save()
    assert tickets.choose_assignees(department, 2) == [b, c]


def test_least_load_picks_the_member_with_fewest_open_tickets(team):
    department, (a, b, c) = team
    _strategy(department, AssignmentStrategy.MANUAL)
    for person, count in ((a, 2), (b, 0), (c, 1)):
        for _ in range(count):
            f.ticket(department, assignee=person)
    done = f.ticket(department, assignee=b)  # closed work does not count as load
    type(done).objects.filter(pk=done.pk).update(status=Status.CLOSED)
    _strategy(department, AssignmentStrategy.LEAST_LOAD)
    # b (0) first; then b and c tie at 1 and the lower id wins; then c; then all tie at 2.
    assert tickets.choose_assignees(department, 4) == [b, b, c, a]
    # Each choice counts what it already handed out; the stored tickets are the load.
    assert f.ticket(department).assignee == b


def test_least_load_never_picks_an_away_member_however_idle(team):
    department, (a, b, c) = team
    _strategy(department, AssignmentStrategy.LEAST_LOAD)
    f.ticket(department, assignee=a)
    f.ticket(department, assignee=c)
    b.is_away = True
    b.save()
    assert tickets.choose_assignees(department, 2) == [a, c]


def test_nobody_present_leaves_new_tickets_unassigned(team):
    department, people = team
    _strategy(department, AssignmentStrategy.ROUND_ROBIN)
    for person in people:
        person.is_away = True
        person.save()
    assert tickets.choose_assignees(department, 2) == [None, None]
    assert f.ticket(department).assignee is None


def test_a_ticket_for_an_away_key_role_holder_goes_to_their_backup(team):
    department, (a, b, c) = team
    KeyRole.objects.create(department=department, name="网络专家", primary=a, backup=c)
    a.is_away = True
    a.save()
    assert f.ticket(department, assignee=a).assignee == c
    # A backup who is away too: the work stays with the primary rather than nobody.
    c.is_away = True
    c.save()
    assert f.ticket(department, assignee=a).assignee == a
    # Someone away without a key role keeps their ticket (no backup to take over).
    b.is_away = True
    b.save()
    assert f.ticket(department, assignee=b).assignee == b
