"""Coverage alerts for every watched account at once, next-step reminders, the leads' list."""

from datetime import date, timedelta

import pytest

from kehu.conftest import EmployeeFactory, client_for
from kehu.core.schedule import PERIODIC_TASKS
from kehu.customers.models import Account
from kehu.notify.models import Notification
from kehu.relations import coverage, services, team
from kehu.relations.models import CoverageAlert, CoverageRun, GapKind
from kehu.relations.tests.factories import person, served_account

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture
def key(world):
    served = served_account(world)
    served.account.level = "key"
    served.account.save()
    return served


def _open(account):
    return set(
        CoverageAlert.objects.filter(account=account, resolved_on__isnull=True).values_list(
            "kind", "person_id"
        )
    )


def test_gaps_are_raised_once_and_resolved_when_fixed(world, key):
    boss = person(key.account, "王总", influence=5)
    services.role_set(person=boss, role="decision_maker")
    coverage.sync_alerts(today=TODAY)
    assert _open(key.account) == {
        ("no_coach", None),
        ("acceptor_unknown", None),
        ("no_triangle", None),
        ("decider_below_trust", boss.pk),
        ("quiet", boss.pk),
    }
    note = Notification.objects.get(recipient=world.account_manager, event=coverage.ALERT_EVENT)
    assert "王总" in note.body and "5" in note.title
    again = coverage.sync_alerts(today=TODAY)  # idempotent: nothing new, nobody told twice
    assert (again.raised, again.resolved) == (0, 0)
    assert Notification.objects.filter(event=coverage.ALERT_EVENT).count() == 1
    services.interaction_record(
        account=key.account,
        by=None,
        kind="meeting",
        occurred_on=TODAY - timedelta(days=3),
        subject="季度会",
        people_ids=[boss.pk],
        today=TODAY,
    )
    fixed = coverage.sync_alerts(today=TODAY)
    assert fixed.resolved == 1 and ("quiet", boss.pk) not in _open(key.account)


def test_the_quiet_period_is_configurable(world, key, settings):
    boss = person(key.account, "王总", influence=5)
    services.interaction_record(
        account=key.account,
        by=None,
        kind="call",
        occurred_on=TODAY - timedelta(days=20),
        subject="电话",
        people_ids=[boss.pk],
        today=TODAY,
    )
    settings.KEHU_RELATIONS_QUIET_DAYS = 10
    coverage.sync_alerts(today=TODAY)
    assert ("quiet", boss.pk) in _open(key.account)
    settings.KEHU_RELATIONS_QUIET_DAYS = 30
    coverage.sync_alerts(today=TODAY)
    assert ("quiet", boss.pk) not in _open(key.account)


def test_many_accounts_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for n in range(3):
        account = Account.objects.create(name=f"客户{n}", level="key")
        person(account, f"张{n}", influence=4)
    Account.objects.create(name="普通客户")  # standard level, no triangle: not watched
    with django_assert_max_num_queries(12):
        gaps = coverage.compute_gaps(coverage.watched_accounts(), today=TODAY)
    assert len(gaps) == 3


def test_the_daily_run_is_a_periodic_task_and_runs_once(world, key):
    assert "kehu.relations.tasks.run_coverage_check" in PERIODIC_TASKS
    assert coverage.run_daily(today=TODAY).raised == 4  # coach, decider, acceptor, triangle
    assert coverage.run_daily(today=TODAY) is None
    assert CoverageRun.objects.get(day=TODAY).finished_at is not None


def test_due_next_steps_are_reminded_once(world, key):
    recorder = EmployeeFactory(department=world.support, user=world.after_sales)
    boss = person(key.account, "王总")
    services.interaction_record(
        account=key.account,
        by=world.after_sales,
        kind="visit",
        occurred_on=TODAY - timedelta(days=10),
        subject="拜访",
        people_ids=[boss.pk],
        next_step="发送方案",
        next_step_due=TODAY - timedelta(days=1),
        today=TODAY,
    )
    assert recorder
    assert coverage.remind_next_steps(today=TODAY) == 1
    assert coverage.remind_next_steps(today=TODAY) == 0
    told = set(
        Notification.objects.filter(event=coverage.REMINDER_EVENT).values_list(
            "recipient", flat=True
        )
    )
    assert told == {world.account_manager.pk, world.after_sales.pk}


def test_leads_see_key_accounts_by_coverage(world, key, django_assert_max_num_queries):
    team.triangle_set(
        account=key.account,
        account_manager=key.owner,
        solution_manager=EmployeeFactory(department=world.support),
        fulfilment_manager=EmployeeFactory(department=world.support),
        by=world.admin,
    )
    Account.objects.create(name="别人的重点客户", level="key")
    coverage.sync_alerts(today=TODAY)
    client = client_for(world.lead)  # leads support, where the agent on the team works
    with django_assert_max_num_queries(15):
        page = client.get("/relations/coverage/")
    text = page.content.decode()
    assert key.account.name in text and "别人的重点客户" not in text
    assert str(GapKind.NO_COACH.label) in text
    rows = client.get("/api/relations/coverage").json()
    assert [r["account_id"] for r in rows] == [key.account.pk]
    assert "no_coach" in rows[0]["open_gaps"]
    assert client_for(world.employee).get("/api/relations/coverage").json() == []
