"""What the running processes say about themselves: one heartbeat row per process."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last sign of life of one process (a task worker or a scheduler).

    A scheduler writes its row on every pass; a worker writes its row when it runs the
    ``kehu.ops.tasks.beat`` task the schedulers enqueue, so a fresh worker beat also shows that
    the queue is being worked. Rows of processes gone for a day are removed by that task.
    """

    class Kind(models.TextChoices):
        WORKER = "worker", _("Task worker")
        SCHEDULER = "scheduler", _("Scheduler")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    process = models.CharField(_("process"), max_length=200)  # host:pid
    beat_at = models.DateTimeField(_("last sign of life"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        constraints = [
            models.UniqueConstraint(fields=["kind", "process"], name="one_heartbeat_per_process")
        ]
        indexes = [models.Index(fields=["kind", "-beat_at"], name="heartbeat_latest")]

    def __str__(self) -> str:
        return f"{self.kind} {self.process}"
