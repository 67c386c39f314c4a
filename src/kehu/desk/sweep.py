"""The desk's periodic work, one task. ``kehu.core.schedule.PERIODIC_TASKS`` names
``kehu.desk.sweep.run_sweeps``, a dotted path stored in settings, so this module keeps its name;
tasks queued before the desk had sub-packages are stored as
``kehu.desk.sweep.reevaluate_open_tickets``, so that name stays importable here too.
"""

from __future__ import annotations

from django_tasks import task

from kehu.desk.sla import sweep
from kehu.desk.sla.sweep import reevaluate_open_tickets
from kehu.desk.tickets import changes as ticket_changes

__all__ = ["reevaluate_open_tickets", "run_sweeps"]


@task()
def run_sweeps() -> dict[str, int]:
    """One pass of all periodic desk work (the scheduler enqueues this every minute; the
    notifications it raises are delivered by ``notify.tasks.run_delivery``, scheduled beside it)."""
    return {
        "sla_events": sweep.sweep_due(),
        "auto_closed": ticket_changes.auto_close(),
    }
