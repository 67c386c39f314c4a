"""The periodic delivery of notifications (``core.schedule`` enqueues it every minute)."""

from __future__ import annotations

from django_tasks import task

from kehu.notify.delivery import deliver_pending


@task()
def run_delivery() -> dict[str, int]:
    """Send every notification email and webhook that is due (each row claimed once)."""
    return {"notifications_delivered": deliver_pending()}
