"""The segment panel of the account page: the segment, why, and the override form."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kehu.customers.models import Account, SegmentChange
from kehu.segments import engine, selectors
from kehu.segments.forms import OverrideForm, WithdrawForm
from kehu.segments.rules import can_override, can_view_facts, can_view_segments


def segment_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    user = request.user
    if not can_view_segments(user):
        return None
    changes = list(selectors.segment_history(account, limit=5))
    override_change = None
    if account.segment_override_reason:
        override_change = next(
            (c for c in changes if c.source == SegmentChange.Source.OVERRIDE), None
        )
        if override_change is None:
            override_change = (
                SegmentChange.objects.filter(account=account, source=SegmentChange.Source.OVERRIDE)
                .select_related("changed_by")
                .first()
            )
    facts = decision = None
    if can_view_facts(user, account):
        facts, decision = engine.explain(account)
    keeper = can_override(user, account)
    return {
        "account": account,
        "changes": changes,
        "override_change": override_change,
        "facts": facts,
        "decision": decision,
        "can_override": keeper,
        "override_form": OverrideForm(
            initial={"segment": account.segment, "version": account.version}
        )
        if keeper
        else None,
        "withdraw_form": WithdrawForm(initial={"version": account.version}) if keeper else None,
        "next": request.get_full_path(),
    }
