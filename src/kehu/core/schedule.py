"""The periodic work ``kehu scheduler`` enqueues on every pass (default: once a minute).

Each entry is the dotted path of a django-tasks task taking no arguments. Tasks must be cheap
when there is nothing to do and idempotent, because several schedulers may run at once; daily
work (swing detection, segment rules) checks itself whether today's run already happened.
"""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

PERIODIC_TASKS = [
    "kehu.contracts.tasks.run_reminders",
    "kehu.desk.sweep.run_sweeps",
    "kehu.insight.tasks.run_insight",
    "kehu.mail.tasks.run_mail",
    "kehu.notify.tasks.run_delivery",
    "kehu.relations.tasks.run_coverage_check",
    "kehu.ops.tasks.beat",
    "kehu.segments.tasks.run_segment_rules",
    "kehu.usage.tasks.run_swing_detection",
]


def periodic_tasks() -> list[Any]:
    return [import_string(path) for path in PERIODIC_TASKS]
