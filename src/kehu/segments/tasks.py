"""The daily recomputation of segments, enqueued by ``kehu scheduler`` on every pass."""

from __future__ import annotations

from django_tasks import task

from kehu.segments import services


@task()
def run_segment_rules() -> dict[str, object]:
    """Recompute every account's segment once a day (a cheap no-op when today's run exists)."""
    result = services.segments_daily_run()
    if result is None:
        return {"ran": False}
    return {"ran": True, "accounts": result.accounts, "changed": result.changed}
