"""The task queue as operators see it: how many tasks wait, and how long the oldest has waited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone


@dataclass(frozen=True)
class QueueState:
    queue: str
    depth: int  # tasks ready to run now
    oldest_age: float  # seconds the oldest ready task has waited (0 when none)


def queue_states(now: datetime | None = None) -> list[QueueState]:
    """One state per queue of the configured backend (none for the in-process backend)."""
    now = now or timezone.now()
    backend = str(settings.TASKS["default"]["BACKEND"])
    if backend.endswith("DatabaseBackend"):
        return _database_queues(now)
    if backend.endswith("RQBackend"):
        return _rq_queues(now)
    return []


def _database_queues(now: datetime) -> list[QueueState]:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    never = get_date_max()  # "run as soon as possible": waiting since it was enqueued
    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .filter(Q(run_after=never) | Q(run_after__lte=now))
        .values("queue_name")
        .annotate(
            depth=Count("id"),
            oldest_enqueued=Min("enqueued_at", filter=Q(run_after=never)),
            oldest_due=Min("run_after", filter=~Q(run_after=never)),
        )
        .order_by("queue_name")
    )
    states = []
    for row in rows:
        since = [t for t in (row["oldest_enqueued"], row["oldest_due"]) if t is not None]
        age = max(0.0, (now - min(since)).total_seconds()) if since else 0.0
        states.append(QueueState(row["queue_name"], row["depth"], age))
    for name in settings.TASKS["default"].get("QUEUES", ["default"]):
        if name not in {state.queue for state in states}:
            states.append(QueueState(name, 0, 0.0))
    return states


def _rq_queues(now: datetime) -> list[QueueState]:
    import django_rq

    states = []
    for name in settings.TASKS["default"].get("QUEUES", ["default"]):
        queue = django_rq.get_queue(name)
        depth = queue.count
        age = 0.0
        if depth:
            jobs = queue.get_jobs(0, 1)
            if jobs and jobs[0].enqueued_at is not None:
                enqueued = jobs[0].enqueued_at
                if timezone.is_naive(enqueued):
                    enqueued = enqueued.replace(tzinfo=UTC)
                age = max(0.0, (now - enqueued).total_seconds())
        states.append(QueueState(name, depth, age))
    return states
