"""The default segment rules (SPEC §3); migration 0002 creates the same set on installation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kehu.segments.models import SegmentRule

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "No purchases in the last year",
        "segment": "potential",
        "position": 10,
        "max_spend_365": Decimal("0"),
    },
    {
        "name": "Also buys from competitors",
        "segment": "floating",
        "position": 20,
        "uses_competitors": "yes",
    },
    {
        "name": "Less than 60 % share of wallet",
        "segment": "floating",
        "position": 30,
        "max_share_of_wallet_percent": 60,
    },
    {
        "name": "Long-standing and active",
        "segment": "loyal",
        "position": 40,
        "min_tenure_months": 24,
        "min_active_days_90": 60,
    },
    {"name": "Everyone else", "segment": "floating", "position": 1000},
]


def ensure_default_rules() -> int:
    """Create the default rules when there are none at all; returns how many were created."""
    if SegmentRule.objects.exists():
        return 0
    for fields in DEFAULT_RULES:
        SegmentRule.objects.create(**fields)
    return len(DEFAULT_RULES)
