"""Reminding approvers on the business calendar: a step still pending after
``REMIND_AFTER`` of working time (on the desk's first business calendar, e.g. the demo's
mainland-China office calendar with its holidays and make-up days) reminds every assignee who
has not decided, then again after each further ``REMIND_AFTER``. ``kehu scheduler`` enqueues
``tasks.run_reminders`` every minute; each step is claimed by a conditional UPDATE, so several
workers remind once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.contracts.models import ApprovalDecision, ApprovalStep, RunStatus, StepStatus
from kehu.desk.models import BusinessCalendar
from kehu.desk.sla import engine as sla
from kehu.desk.sla.selectors import engine_calendar
from kehu.notify import notices

REMIND_AFTER = timedelta(hours=8)  # one working day
EVENT = "contracts.approval_reminder"
BATCH = 200


def _calendar() -> sla.BusinessCalendar | None:
    stored = BusinessCalendar.objects.prefetch_related("intervals", "days").order_by("pk").first()
    return engine_calendar(stored) if stored is not None else None


def remind(now: datetime | None = None) -> int:
    """Remind the approvers of steps overdue on the business calendar; the number reminded."""
    now = now or timezone.now()
    calendar = _calendar()
    steps = list(
        ApprovalStep.objects.filter(status=StepStatus.PENDING, run__status=RunStatus.RUNNING)
        .select_related("run__contract")
        .prefetch_related("assignees__user")
        .order_by("pk")[:BATCH]
    )
    told = 0
    for step in steps:
        since = step.reminded_at or step.run.started_at
        try:
            due = (
                sla.add_business_time(calendar, since, REMIND_AFTER)
                if calendar is not None
                else since + REMIND_AFTER
            )
        except sla.CalendarError:
            due = since + REMIND_AFTER
        if due > now:
            continue
        with transaction.atomic():
            # The claim: only one worker moves reminded_at on from the value it read.
            claimed = ApprovalStep.objects.filter(pk=step.pk, reminded_at=step.reminded_at).update(
                reminded_at=now
            )
            if not claimed:
                continue
            decided = set(
                ApprovalDecision.objects.filter(step=step).values_list("approver_id", flat=True)
            )
            contract = step.run.contract
            number = contract.number

            def text(
                user: object, number: str = number, title: str = contract.title
            ) -> tuple[str, str]:
                return _("Reminder: contract %(number)s awaits your approval") % {
                    "number": number
                }, title

            notices.notify_users(
                event=EVENT,
                users=[a.user for a in step.assignees.all() if a.user_id not in decided],
                text=text,
                url=reverse("contracts:detail", args=[contract.pk]),
            )
            told += 1
    return told
