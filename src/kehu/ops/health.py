"""``/healthz``: is this installation working? For load balancers and monitoring.

The answer names only states and ages, never a host, an address, an error text or a count of
business records, so it may be public. The database and the shared cache decide the status
code (503 when either fails: this web worker cannot serve); a silent worker or scheduler, a
queue falling behind or a mailbox not polled make the answer ``degraded`` but keep 200, so a
load balancer keeps the web workers in rotation while the background work is repaired.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.db.models import Min, Q
from django.utils import timezone

from kehu.ops import heartbeat
from kehu.ops.queue import queue_states

log = logging.getLogger(__name__)

OK, DEGRADED, FAIL = "ok", "degraded", "fail"


def report(now: datetime | None = None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body)."""
    now = now or timezone.now()
    checks: dict[str, dict[str, Any]] = {"database": _database(), "cache": _cache()}
    if checks["database"]["status"] == OK:
        checks.update(_background(now))
    critical = checks["database"]["status"] != OK or checks["cache"]["status"] != OK
    if critical:
        overall = FAIL
    elif any(check["status"] != OK for check in checks.values()):
        overall = DEGRADED
    else:
        overall = OK
    return (503 if critical else 200), {"status": overall, "checks": checks}


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.exception("health: the database does not answer")
        return {"status": FAIL}
    return {"status": OK}


def _cache() -> dict[str, Any]:
    key = f"kehu:healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        answered = cache.get(key) == "1"
        cache.delete(key)
    except Exception:  # any backend's failure (database, Redis) means the same here
        log.exception("health: the cache does not answer")
        return {"status": FAIL}
    return {"status": OK if answered else FAIL}


def _age_check(age: float | None, limit: int) -> dict[str, Any]:
    if age is None:
        return {"status": DEGRADED, "age_seconds": None}
    return {"status": OK if age <= limit else DEGRADED, "age_seconds": round(age, 1)}


def _background(now: datetime) -> dict[str, dict[str, Any]]:
    from kehu.mail.models import Mailbox

    checks: dict[str, dict[str, Any]] = {}
    try:
        ages = heartbeat.latest(now)
        limit = settings.KEHU_HEALTH_HEARTBEAT_MAX_AGE
        checks["worker"] = _age_check(ages["worker"], limit)
        checks["scheduler"] = _age_check(ages["scheduler"], limit)
        states = queue_states(now)
        lag = max((state.oldest_age for state in states), default=0.0)
        checks["queue"] = {
            "status": OK if lag <= settings.KEHU_HEALTH_QUEUE_LAG_MAX else DEGRADED,
            "depth": sum(state.depth for state in states),
            "lag_seconds": round(lag, 1),
        }
        polled = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
        summary = polled.aggregate(
            oldest=Min("last_polled_at"),
            never=Min("pk", filter=Q(last_polled_at__isnull=True)),
        )
        if not polled.exists():
            checks["mail"] = {"status": OK, "poll_age_seconds": None}
        elif summary["never"] is not None:
            checks["mail"] = {"status": DEGRADED, "poll_age_seconds": None}
        else:
            age = max(0.0, (now - summary["oldest"]).total_seconds())
            checks["mail"] = {
                "status": OK if age <= settings.KEHU_HEALTH_MAIL_POLL_MAX_AGE else DEGRADED,
                "poll_age_seconds": round(age, 1),
                "errors": polled.exclude(last_poll_error="").count(),
            }
            if checks["mail"]["errors"]:
                checks["mail"]["status"] = DEGRADED
    except Exception:  # a Redis queue that does not answer, say: report, never fail the page
        log.exception("health: background checks failed")
        checks.setdefault("queue", {"status": FAIL})
    return checks
