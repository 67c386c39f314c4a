"""Periodic insight work, enqueued by ``kehu scheduler`` every minute.

Cheap when there is nothing to do: a couple of indexed queries (the last week's and month's
``ReportRun`` rows exist, today's ``HealthRun`` exists, no delivery is due). Idempotent with
several schedulers: each period and day is claimed by a unique row, each delivery by a
conditional UPDATE.
"""

from __future__ import annotations

from django_tasks import task

from kehu.insight import health_services, reports


@task()
def run_insight() -> dict[str, int | None]:
    """Make last week's and month's reports once, send due deliveries, score accounts daily."""
    return {"reports": reports.run_due(), "health": health_services.run_daily()}
