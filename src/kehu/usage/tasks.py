"""The daily swing detection, enqueued by ``kehu scheduler`` every minute.

Once per day: the run for yesterday happens on the first pass after ``DETECT_AFTER`` local time
(so the night's usage imports have arrived) and leaves a ``DetectionRun`` row; every later pass
of the day costs one indexed query. Usage imported later can be checked again with
``kehu manage detect_swings --day YYYY-MM-DD`` (it creates only alerts that are new).
"""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone
from django_tasks import task

from kehu.usage import swings
from kehu.usage.models import DetectionRun

DETECT_AFTER = time(6, 0)  # local time in TIME_ZONE


def detection_due(now: datetime | None = None) -> bool:
    """Whether yesterday's detection is due and not yet done (one query when done)."""
    now = now or timezone.now()
    if timezone.localtime(now).time() < DETECT_AFTER:
        return False
    day = swings.default_day(now)
    return not DetectionRun.objects.filter(day=day, finished_at__isnull=False).exists()


def run_daily(now: datetime | None = None) -> int | None:
    """Detect yesterday's swings if not done yet; the number of new alerts, None when skipped."""
    if not detection_due(now):
        return None
    return len(swings.detect(swings.default_day(now), now=now))


@task()
def run_swing_detection() -> int | None:
    """Yesterday's swing detection, once a day (the scheduler enqueues this every minute)."""
    return run_daily()
