"""Writes of the segments app: rules, recomputation (daily and on demand), overrides."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.concurrency import StaleVersionError, save_if_current
from kehu.customers import timeline
from kehu.customers.models import Account, Segment, SegmentChange, TimelineEntry
from kehu.segments import engine
from kehu.segments.models import SegmentRule, SegmentRun

RULE_FIELDS = (
    "name",
    "segment",
    "position",
    "is_active",
    "min_tenure_months",
    "max_tenure_months",
    "min_share_of_wallet_percent",
    "max_share_of_wallet_percent",
    "uses_competitors",
    "min_active_days_90",
    "min_spend_365",
    "max_spend_365",
)
MAX_REASON = 500


def _unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be set.") for name in sorted(unknown)})


def rule_create(*, fields: dict[str, Any]) -> SegmentRule:
    """Add a segment rule (validated like the form)."""
    _unknown(fields)
    rule = SegmentRule(**fields)
    rule.full_clean()
    rule.save()
    return rule


def rule_update(*, rule: SegmentRule, expected_version: int, fields: dict[str, Any]) -> SegmentRule:
    """Change a rule unless someone saved it since ``expected_version`` (StaleVersionError)."""
    _unknown(fields)
    return save_if_current(rule, expected_version=expected_version, changes=fields)


def rule_delete(*, rule: SegmentRule) -> None:
    """Remove a rule; the history keeps its name."""
    rule.delete()


def segments_recompute(*, today: date | None = None, now: datetime | None = None) -> engine.Result:
    """Recompute every account now (the administrator's button and the daily run)."""
    return engine.recompute(today=today, now=now)


def segments_daily_run(*, today: date | None = None) -> engine.Result | None:
    """Run the rules once for ``today``; None when today's run already exists.

    The SegmentRun row is the claim: its unique day makes concurrent schedulers run once.
    """
    now = timezone.now()
    today = today or timezone.localdate(now)
    if SegmentRun.objects.filter(day=today).exists():
        return None
    try:
        with transaction.atomic():
            run = SegmentRun.objects.create(day=today, started_at=now)
    except IntegrityError:
        return None  # another worker claimed today between the check and the insert
    result = engine.recompute(today=today, now=now)
    SegmentRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), accounts=result.accounts, changed=result.changed
    )
    return result


def _record(change: SegmentChange, when: datetime) -> None:
    title, summary = engine.segment_line(change)
    timeline.record(
        account_id=change.account_id,
        kind=TimelineEntry.Kind.SEGMENT,
        source=f"segments.change:{change.pk}",
        occurred_at=when,
        title=title,
        summary=summary,
        actor=change.changed_by,
    )


def _user(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


@transaction.atomic
def segment_override(
    *, account: Account, segment: str, reason: str, expected_version: int, by: Any
) -> Account:
    """Set the account's segment by hand with a reason; the rules leave it alone until the
    override is withdrawn."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if segment not in Segment.values:
        errors["segment"] = _("Choose loyal, floating or potential.")
    if not reason:
        errors["reason"] = _("Say why the rules' segment does not fit this account.")
    elif len(reason) > MAX_REASON:
        errors["reason"] = _("Keep the reason under %(n)s characters.") % {"n": MAX_REASON}
    if errors:
        raise ValidationError(errors)
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.version != expected_version:
        raise StaleVersionError(locked)
    now = timezone.now()
    old = locked.segment
    locked.segment = segment
    locked.segment_override_reason = reason
    locked.segment_changed_at = now
    locked.version += 1
    locked.save(
        update_fields=[
            "segment",
            "segment_override_reason",
            "segment_changed_at",
            "version",
            "updated_at",
        ]
    )
    change = SegmentChange.objects.create(
        account=locked,
        old_segment=old,
        new_segment=segment,
        source=SegmentChange.Source.OVERRIDE,
        reason=reason,
        changed_by=_user(by),
    )
    _record(change, now)
    return locked


@transaction.atomic
def segment_withdraw_override(*, account: Account, expected_version: int, by: Any) -> Account:
    """Drop the override: the rules decide the account's segment again, at once."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.version != expected_version:
        raise StaleVersionError(locked)
    if not locked.segment_override_reason:
        raise ValidationError(_("This account's segment is not overridden."))
    now = timezone.now()
    _facts, decision = engine.explain(locked, timezone.localdate(now))
    old = locked.segment
    locked.segment = decision.segment or old
    locked.segment_override_reason = ""
    locked.segment_changed_at = now
    locked.version += 1
    locked.save(
        update_fields=[
            "segment",
            "segment_override_reason",
            "segment_changed_at",
            "version",
            "updated_at",
        ]
    )
    change = SegmentChange.objects.create(
        account=locked,
        old_segment=old,
        new_segment=locked.segment,
        source=SegmentChange.Source.OVERRIDE_WITHDRAWN,
        rule_name=decision.rule_name[:200],
        changed_by=_user(by),
    )
    _record(change, now)
    return locked
