"""Writing an account's timeline: each app records its own facts here as they happen.

``source`` names the fact ("desk.ticket:42"); recording it again updates the same line, so
callers need not know whether they are creating or correcting an entry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kehu.customers.models import TimelineEntry


def record(
    *,
    account_id: int,
    kind: str,
    source: str,
    occurred_at: datetime,
    title: str,
    summary: str = "",
    actor: Any = None,
    url: str = "",
    restricted: bool = False,
) -> TimelineEntry:
    entry, _created = TimelineEntry.objects.update_or_create(
        source=source,
        kind=kind,
        defaults={
            "account_id": account_id,
            "occurred_at": occurred_at,
            "title": title[:300],
            "summary": summary[:500],
            "actor": actor if getattr(actor, "pk", None) else None,
            "url": url[:300],
            "restricted": restricted,
        },
    )
    return entry


def forget(*, source: str, kind: str | None = None) -> None:
    """Remove the lines of a fact that no longer exists (a deleted visit, say)."""
    entries = TimelineEntry.objects.filter(source=source)
    if kind is not None:
        entries = entries.filter(kind=kind)
    entries.delete()
