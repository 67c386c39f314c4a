"""Approval reminders run on the business calendar and fire once per working day."""

from datetime import UTC, datetime, time

from kehu.contracts import approvals, reminders
from kehu.contracts.models import ApprovalStep
from kehu.contracts.tests.factories import draft, setup
from kehu.core.schedule import PERIODIC_TASKS
from kehu.desk.models import BusinessCalendar, WorkingInterval
from kehu.notify.models import Notification


def test_reminder_after_a_working_day_once(world):
    calendar = BusinessCalendar.objects.create(name="办公日历", time_zone="UTC")
    for weekday in range(5):
        WorkingInterval.objects.create(
            calendar=calendar, weekday=weekday, start=time(9), end=time(17)
        )
    s = setup(world)
    contract = draft(world, s)
    run = approvals.submit(contract=contract, by=world.account_manager, version=contract.version)
    friday = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    run.started_at = friday
    run.save()
    Notification.objects.all().delete()
    # Friday 16:00 + 8 working hours = Monday 16:00: nothing over the weekend
    assert reminders.remind(datetime(2026, 12, 7, 15, 0, tzinfo=UTC)) == 0
    assert (
        reminders.remind(datetime(2026, 12, 7, 16, 30, tzinfo=UTC)) == 2
    )  # finance and legal steps
    assert reminders.remind(datetime(2026, 12, 7, 16, 45, tzinfo=UTC)) == 0  # once
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "finance",
        "legal",
    }
    assert ApprovalStep.objects.filter(reminded_at__isnull=False).count() == 2
    assert "kehu.contracts.tasks.run_reminders" in PERIODIC_TASKS
