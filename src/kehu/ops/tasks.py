"""The worker's heartbeat: enqueued by every scheduler pass (kehu.core.schedule)."""

from __future__ import annotations

from django_tasks import task

from kehu.ops import heartbeat
from kehu.ops.models import Heartbeat


@task()
def beat() -> dict[str, int]:
    """Record that a worker is taking tasks off the queue; forget processes gone for a day."""
    heartbeat.beat(Heartbeat.Kind.WORKER)
    return {"pruned": heartbeat.prune()}
