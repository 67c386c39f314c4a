"""Writes of the usage app: products, swing rules, acknowledging alerts, and telling people."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kehu.access.models import Role, User
from kehu.core.concurrency import save_if_current
from kehu.core.services import object_create, object_update
from kehu.customers.models import TimelineEntry
from kehu.usage.models import Product, SwingAlert, SwingRule

# --- products and rules --------------------------------------------------------------------------


def product_create(*, fields: dict[str, Any]) -> Product:
    """Validate and create a product."""
    return object_create(Product, **fields)


def product_update(*, product: Product, expected_version: int, fields: dict[str, Any]) -> Product:
    """Change a product unless someone saved it since ``expected_version``."""
    return object_update(product, expected_version=expected_version, changes=fields)


def rule_create(*, fields: dict[str, Any]) -> SwingRule:
    """Validate and create a swing rule."""
    return object_create(SwingRule, **fields)


def rule_update(*, rule: SwingRule, expected_version: int, fields: dict[str, Any]) -> SwingRule:
    """Change a swing rule unless someone saved it since ``expected_version``."""
    return object_update(rule, expected_version=expected_version, changes=fields)


# --- alerts ------------------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(
    *, alert: SwingAlert, actor: Any, expected_version: int, note: str = ""
) -> SwingAlert:
    """Mark an open alert acknowledged with the actor's note (StaleVersionError: 409)."""
    updated = save_if_current(
        alert,
        expected_version=expected_version,
        changes={
            "status": SwingAlert.Status.ACKNOWLEDGED,
            "acknowledged_by": actor,
            "note": note.strip(),
        },
    )
    if alert.status != SwingAlert.Status.OPEN:
        raise ValidationError(_("This alert was already acknowledged."))
    return updated


def describe_change(alert: SwingAlert) -> str:
    """ "+35.00 %", "−40.00 %" or "started from zero", in the active language."""
    if alert.change_percent is None:
        return _("started from zero")
    sign = "+" if alert.change_percent > 0 else "−"
    return f"{sign}{abs(alert.change_percent)} %"


def alert_title(alert: SwingAlert) -> str:
    """One line naming the account, product, measure and change, in the active language."""
    return _("Usage swing at %(account)s: %(product)s %(metric)s %(change)s") % {
        "account": alert.account.display_name,
        "product": alert.product.display_name,
        "metric": SwingRule.Metric(alert.rule.metric).label,
        "change": describe_change(alert),
    }


def alert_summary(alert: SwingAlert) -> str:
    return _("%(rule)s on %(day)s: %(current)s against a baseline of %(baseline)s.") % {
        "rule": alert.rule.name,
        "day": alert.day.isoformat(),
        "current": _number(alert.current_value),
        "baseline": _number(alert.baseline_value),
    }


def _number(value: Any) -> str:
    return f"{value:,.2f}"


def _recipients(alerts: Sequence[SwingAlert]) -> tuple[list[User], dict[int, User]]:
    """(every active after-sales user, the owner's user by owner employee id)."""
    after_sales = list(
        User.objects.filter(is_active=True, role_assignments__role=Role.AFTER_SALES)
        .distinct()
        .order_by("pk")
    )
    owner_ids = {a.account.owner_id for a in alerts if a.account.owner_id}
    owners = {
        u.employee.pk: u
        for u in User.objects.filter(is_active=True, employee__pk__in=owner_ids).select_related(
            "employee"
        )
    }
    return after_sales, owners


def occurred_at(day: date) -> datetime:
    """The end of ``day`` in the configured time zone: when a day's swing is known."""
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


def alerts_announce(alerts: Sequence[SwingAlert], *, now: datetime | None = None) -> None:
    """Timeline lines for new alerts, and notifications to the owner and after-sales (once).

    Called with alerts just created (they have no line or notification yet), inside the
    detection's transaction; email delivery is started after commit.
    """
    if not alerts:
        return
    from kehu.notify import notices
    from kehu.notify.models import Event

    now = now or timezone.now()
    # Straight rows rather than timeline.record() per alert: these facts are new (one alert is
    # created once), so one bulk insert writes what record() would, at any number of alerts —
    # in Chinese and in English (empty when the same), as record() stores Kehu's own wording.
    lines = []
    for a in alerts:
        with override("zh-hans"):
            title, summary = alert_title(a), alert_summary(a)
        with override("en"):
            title_en, summary_en = alert_title(a), alert_summary(a)
        lines.append(
            TimelineEntry(
                account_id=a.account_id,
                kind=TimelineEntry.Kind.USAGE_ALERT,
                source=f"usage.swingalert:{a.pk}",
                occurred_at=occurred_at(a.day),
                title=title[:300],
                title_en="" if title_en == title else title_en[:300],
                summary=summary[:500],
                summary_en="" if summary_en == summary else summary_en[:500],
                url=reverse("usage:account", args=[a.account_id]),
                restricted=True,
            )
        )
    TimelineEntry.objects.bulk_create(lines, batch_size=2000, ignore_conflicts=True)
    after_sales, owners = _recipients(alerts)
    deliveries = []
    for alert in alerts:
        told = {u.pk: u for u in after_sales}
        owner = owners.get(alert.account.owner_id or 0)
        if owner is not None:
            told[owner.pk] = owner
        url = reverse("usage:account", args=[alert.account_id])

        def text(user: Any, alert: SwingAlert = alert) -> tuple[str, str]:
            return alert_title(alert), alert_summary(alert)

        deliveries += [(user, url, text) for user in told.values()]
    notices.notify(event=Event.SWING_ALERT, notices=deliveries)
