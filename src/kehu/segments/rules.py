"""Who may see and change segments (registered into kehu.access.permissions).

Segments are base facts: every staff member sees an account's segment; the facts behind it
(spend, share of wallet, activity) come from usage data and follow the dossier rule. Keepers
of customer records (account managers, after-sales) and administrators override a segment.
Only administrators manage the rules and recompute on demand. Customers see none of it.
"""

from __future__ import annotations

from typing import Any

from kehu.access.permissions import CHANGE, can, is_staff_member, rule
from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier
from kehu.segments.models import SegmentRule, SegmentRun


@rule(SegmentRule)
def _segment_rule(user: Any, action: str, target: Any) -> bool:
    return False  # administrators only (they pass before any rule is asked)


@rule(SegmentRun)
def _segment_run(user: Any, action: str, target: Any) -> bool:
    return False


def can_view_segments(user: Any) -> bool:
    return is_staff_member(user)


def can_view_facts(user: Any, account: Account) -> bool:
    return can_view_dossier(user, account)


def can_override(user: Any, account: Account) -> bool:
    return is_staff_member(user) and can(user, CHANGE, account)
