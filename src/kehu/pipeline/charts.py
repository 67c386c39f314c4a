"""The forecast as server-rendered SVG (the project's pygal charts, no JavaScript)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.pipeline.selectors import Forecast, period_label
from kehu.usage.charts import Chart, render

MAX_SERIES = 6


def forecast_charts(forecast: Forecast) -> list[Chart]:
    """One chart per currency: the weighted forecast per period, one line per group (the
    largest ``MAX_SERIES`` groups) or one for the whole company."""
    periods = forecast.periods()
    labels = [period_label(p, forecast.period) for p in periods]
    charts = []
    for currency in forecast.currencies:
        by_group: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for row in forecast.rows:
            if row.currency == currency:
                name = row.group_name or (_("Unassigned") if forecast.group else _("Weighted"))
                by_group[name][row.period] += row.weighted
        ranked = sorted(by_group.items(), key=lambda item: -sum(item[1].values()))
        series: list[tuple[str, list[Decimal | None]]] = [
            (name, [values.get(p, Decimal(0)) for p in periods])
            for name, values in ranked[:MAX_SERIES]
        ]
        chart = Chart(
            title=_("Weighted forecast (%(currency)s)") % {"currency": currency},
            description=_("Amount × probability by expected close, won deals in full."),
            labels=labels,
            series=series,
            unit=currency,
        )
        charts.append(render(chart))
    return charts
