"""Heartbeats: written by the scheduler on every pass and by a worker running ``tasks.beat``."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from kehu.ops.models import Heartbeat

KEEP = timedelta(days=1)  # rows of processes silent for longer are removed


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(kind: str, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    Heartbeat.objects.update_or_create(kind=kind, process=process_name(), defaults={"beat_at": now})


def prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    deleted, _ = Heartbeat.objects.filter(beat_at__lt=now - KEEP).delete()
    return deleted


def latest(now: datetime | None = None) -> dict[str, float | None]:
    """Seconds since the last beat of each kind (None: never)."""
    now = now or timezone.now()
    rows = dict(
        Heartbeat.objects.values("kind").annotate(last=Max("beat_at")).values_list("kind", "last")
    )
    return {
        kind: (max(0.0, (now - rows[kind]).total_seconds()) if rows.get(kind) else None)
        for kind in Heartbeat.Kind.values
    }
