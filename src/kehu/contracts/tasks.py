"""Background work of contracts, enqueued by ``kehu scheduler`` (kehu.core.schedule)."""

from __future__ import annotations

from django_tasks import task

from kehu.contracts import reminders


@task()
def run_reminders() -> int:
    """Remind approvers of steps pending past a working day (cheap when nothing is due)."""
    return reminders.remind()
