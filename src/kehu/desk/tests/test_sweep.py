"""Warnings and escalations: due by stored instants, exactly once, re-evaluated on policy edits."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from kehu.conftest import DepartmentFactory, EmployeeFactory
from kehu.desk import sweep, tickets
from kehu.desk.models import SlaEvent, Status, Target, Ticket
from kehu.desk.signals import ticket_events
from kehu.desk.sla import services
from kehu.desk.sla import sweep as sla_sweep
from kehu.desk.sla.services import EscalationSpec
from kehu.desk.tests import factories as f

pytestmark = pytest.mark.django_db

CHAIN = [
    EscalationSpec(level=1, after_minutes=0, recipient="assignee"),
    EscalationSpec(level=2, after_minutes=30, recipient="department_head"),
]


@pytest.fixture
def announced():
    seen: list[tuple[str, int, dict]] = []

    def receive(sender, events, **kwargs):
        seen.extend((e.event, e.ticket.pk, e.data) for e in events if e.event.startswith("sla."))

    ticket_events.connect(receive, weak=False)
    yield seen
    ticket_events.disconnect(receive)


@pytest.fixture
def sweep_at(django_capture_on_commit_callbacks):
    """Run the sweep at an instant, delivering what it announces as a commit would."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return sla_sweep.sweep_due(now=now)

    return run


@pytest.fixture
def desk():
    department = DepartmentFactory(code="OPS")
    department.head = EmployeeFactory(department=department, name="部门负责人")
    department.save()
    f.policy(f.always_calendar(), first=60, nxt=None, resolution=240, escalation=CHAIN, position=10)
    return department


def test_warning_at_75_percent_then_escalation_levels_in_order(desk, announced, sweep_at):
    agent = EmployeeFactory(department=desk)
    ticket = f.ticket(desk, assignee=agent)
    start = ticket.created_at
    assert sweep_at(start + timedelta(minutes=44)) == 0
    assert sweep_at(start + timedelta(minutes=46)) == 1  # first-response warning
    assert [e[0] for e in announced] == ["sla.warning"]
    assert announced[0][2]["recipient_ids"] == [agent.pk]
    assert sweep_at(start + timedelta(minutes=61)) == 1  # breach: level 1
    assert sweep_at(start + timedelta(minutes=95)) == 1  # +30 min: level 2
    assert announced[-1][2]["recipient_ids"] == [desk.head.pk]
    ticket.refresh_from_db()
    assert ticket.sla_breached and ticket.escalation_level == 2
    # Nothing fires twice, however often the sweep runs.
    assert sweep_at(start + timedelta(minutes=100)) == 0


def test_an_away_assignee_is_replaced_by_the_backup(desk, announced, sweep_at):
    from kehu.org.models import KeyRole

    agent = EmployeeFactory(department=desk, is_away=True)
    backup = EmployeeFactory(department=desk)
    KeyRole.objects.create(name="值班", department=desk, primary=agent, backup=backup)
    ticket = f.ticket(desk, assignee=agent)
    assert ticket.assignee == backup  # the backup takes over at assignment already
    sweep_at(ticket.created_at + timedelta(minutes=46))
    assert announced[0][2]["recipient_ids"] == [backup.pk]


def test_a_reply_in_time_means_no_warning(desk, world, announced, sweep_at):
    ticket = f.ticket(desk)
    tickets.add_message(ticket, actor=world.agent, body="在处理")
    ticket = tickets.change_status(ticket, Status.RESOLVED, actor=world.agent)
    assert sweep_at(ticket.created_at + timedelta(hours=10)) == 0
    assert announced == []


def test_a_paused_ticket_does_not_come_due(desk, world, sweep_at):
    ticket = f.ticket(desk)
    tickets.add_message(ticket, actor=world.agent, body="请提供日志")
    tickets.change_status(ticket, Status.WAITING_CUSTOMER, actor=world.agent)
    assert sweep_at(ticket.created_at + timedelta(days=3)) == 0


def test_deactivating_the_policy_leaves_no_ticket_escalated(
    desk, announced, sweep_at, django_capture_on_commit_callbacks
):
    ticket = f.ticket(desk)
    sweep_at(ticket.created_at + timedelta(minutes=61))
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    policy = ticket.sla_policy
    with django_capture_on_commit_callbacks(execute=True):  # re-evaluation runs after commit
        services.sla_policy_save(
            policy=policy,
            expected_version=policy.version,
            fields={"is_active": False},
            departments=[],
            services=[],
            targets=[
                services.TargetSpec(
                    t.priority, t.first_response_minutes, None, t.resolution_minutes
                )
                for t in policy.targets.all()
            ],
        )
    ticket.refresh_from_db()
    assert ticket.sla_policy is None
    assert ticket.escalation_level == 0 and ticket.next_due_at is None


def test_a_longer_target_after_a_priority_change_clears_the_breach(desk, world, sweep_at):
    calendar = f.always_calendar("slow")
    services.sla_policy_save(
        policy=None,
        expected_version=None,
        fields={"name": "Low priority", "calendar": calendar, "position": 0},
        departments=[],
        services=[],
        targets=[services.TargetSpec("low", 600, None, 1200)],
        escalation=CHAIN,
    )
    ticket = f.ticket(desk, impact="group", severity="high")  # high: the 60-minute policy
    assert ticket.priority == "high"
    sweep_at(ticket.created_at + timedelta(minutes=61))
    ticket.refresh_from_db()
    assert ticket.escalation_level == 1
    ticket = tickets.update_ticket(
        ticket,
        actor=world.agent,
        expected_version=ticket.version,
        changes={"priority": "low", "priority_reason": "cosmetic after all"},
    )
    ticket.refresh_from_db()
    assert ticket.sla_policy.name == "Low priority"
    first = ticket.clocks.get(target=Target.FIRST_RESPONSE)
    assert first.due_at == ticket.created_at + timedelta(minutes=600)
    assert not ticket.sla_breached and ticket.escalation_level == 0


# available_apps: on PostgreSQL the flush afterwards must TRUNCATE … CASCADE (see test_browser).
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_two_workers_sweeping_at_once_fire_each_event_exactly_once(desk, announced):
    many = [f.ticket(desk, subject=f"ticket {n}") for n in range(6)]
    later = max(t.created_at for t in many) + timedelta(minutes=61)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            sla_sweep.sweep_due(now=later)
        except BaseException as exc:  # reported below, a thread cannot fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Per ticket: first-response warning + escalation 1, resolution warning (at 180 min: not yet).
    assert SlaEvent.objects.count() == 2 * len(many)
    fired = [
        (event, ticket_id, data["target"], data["level"]) for event, ticket_id, data in announced
    ]
    assert len(fired) == len(set(fired)) == 2 * len(many)
    assert Ticket.objects.filter(escalation_level=1).count() == len(many)


def test_run_sweeps_task_runs_in_the_embedded_default(desk):
    ticket = f.ticket(desk)
    tickets.change_status(ticket, Status.RESOLVED, actor=None)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=30))
    result = sweep.run_sweeps.enqueue()
    assert result.return_value["auto_closed"] == 1


def test_a_sweep_costs_the_same_queries_for_5_or_30_due_clocks(
    desk, django_capture_on_commit_callbacks
):
    """An hour of backlog is swept set-at-a-time: events, clocks, recipients, inbox rows and
    webhook deliveries cost a fixed number of queries per pass, not a few per clock."""
    from django.test.utils import CaptureQueriesContext

    from kehu.conftest import make_user
    from kehu.desk.signals import batched
    from kehu.notify.models import Notification, Webhook, WebhookDelivery

    Webhook.objects.create(
        name="ERP",
        url="https://erp.example/hook",
        secret="s",
        events=["sla.warning", "sla.escalation"],
    )
    from kehu.access.models import Role

    agents = [
        EmployeeFactory(department=desk, user=make_user(f"agent{n}", (Role.AGENT, None)))
        for n in range(3)
    ]
    desk.head.user = make_user("head", (Role.DEPARTMENT_LEAD, desk))
    desk.head.save()

    def sweep_of(count: int) -> tuple[int, int]:
        opened = [
            f.ticket(desk, assignee=agents[n % len(agents)], subject=f"工单 {n}")
            for n in range(count)
        ]
        later = max(t.created_at for t in opened) + timedelta(minutes=61)
        # As after a real commit: the pass's events are delivered together.
        with (
            CaptureQueriesContext(connection) as queries,
            batched(),
            django_capture_on_commit_callbacks(execute=True),
        ):
            fired = sla_sweep.sweep_due(now=later)
        return fired, len(queries)

    few_fired, few = sweep_of(5)
    many_fired, many = sweep_of(30)
    # Each ticket: the first-response warning and the first escalation.
    assert (few_fired, many_fired) == (10, 60)
    assert many == few
    assert Notification.objects.count() == 70
    assert WebhookDelivery.objects.count() == 70
