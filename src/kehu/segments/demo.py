"""Demo data of segments: default rules, some competitor use, a computed segment per account
and one override. Deterministic and idempotent; works with or without usage data."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kehu.customers.models import Account
from kehu.segments import engine, services
from kehu.segments.defaults import ensure_default_rules

OVERRIDE_REASON = (
    "Signed a three-year framework agreement in spring; treat as loyal despite the low usage "
    "while they migrate."
)


@transaction.atomic
def build_segments_demo() -> dict[str, Any]:
    ensure_default_rules()
    ids = list(Account.objects.order_by("id").values_list("id", flat=True))
    # About one account in seven (~15 %) also buys from competitors.
    competing = [pk for index, pk in enumerate(ids) if index % 7 == 3]
    Account.objects.filter(pk__in=competing, uses_competitors=False).update(uses_competitors=True)
    result = engine.recompute()
    overridden = None
    if len(ids) >= 5:
        account = Account.objects.get(pk=ids[4])
        if not account.segment_override_reason:
            services.segment_override(
                account=account,
                segment="loyal",
                reason=OVERRIDE_REASON,
                expected_version=account.version,
                by=None,
            )
        overridden = account.pk
    return {"accounts": result.accounts, "changed": result.changed, "overridden": overridden}
