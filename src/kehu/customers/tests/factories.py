"""Builders for customer tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from kehu.customers import timeline
from kehu.customers.models import Account, Contact, TimelineEntry


def account(name: str = "北京蓝鲸科技有限公司", **fields: Any) -> Account:
    return Account.objects.create(name=name, **fields)


def contact(account_: Account, name: str = "张伟", **fields: Any) -> Contact:
    return Contact.objects.create(account=account_, name=name, **fields)


def entry(
    account_: Account,
    n: int,
    *,
    kind: str = TimelineEntry.Kind.TICKET,
    restricted: bool = False,
    at: datetime | None = None,
) -> TimelineEntry:
    return timeline.record(
        account_id=account_.pk,
        kind=kind,
        source=f"test.fact:{account_.pk}:{n}",
        occurred_at=at or timezone.now() - timezone.timedelta(hours=n),
        title=f"事件 {n}",
        restricted=restricted,
    )
