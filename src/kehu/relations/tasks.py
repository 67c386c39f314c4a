"""The daily coverage check and next-step reminders, enqueued by ``kehu scheduler``."""

from __future__ import annotations

from django_tasks import task

from kehu.relations import coverage


@task()
def run_coverage_check() -> int | None:
    """Raise and resolve coverage alerts and send due next-step reminders, once a day (every
    later pass costs one query)."""
    result = coverage.run_daily()
    return None if result is None else result.raised
