"""The usage panel of the account page: 90 days per product, share of wallet, open alerts."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier
from kehu.usage import charts, selectors

PANEL_ALERTS = 5


def usage_panel_context(request: HttpRequest, account: Account) -> dict[str, Any] | None:
    """The panel's context, or None for users who may not read the account's dossier."""
    if not can_view_dossier(request.user, account):
        return None
    start, end = selectors.window(selectors.MID_DAYS)
    daily = selectors.series(account_id=account.pk, start=start, end=end)
    products = charts.products_of(daily) if daily else []
    chart = charts.usage_chart(
        daily,
        products,
        start=start,
        end=end,
        granularity="day",
        title=_("Usage, last 90 days"),
        description=_("Daily usage of each product by %(name)s from %(start)s to %(end)s.")
        % {"name": account.display_name, "start": start, "end": end},
        small=True,
    )
    return {
        "account": account,
        "usage_chart": chart,
        "usage_share": selectors.share_of_wallet(daily),
        "usage_alerts": list(selectors.account_alerts(account, open_only=True)[:PANEL_ALERTS]),
    }
