"""Server-rendered SVG charts (pygal) with a data table for screen readers.

No JavaScript: pygal's script list is emptied and its inline configuration script removed, so
the page loads nothing from a CDN. Under the Content-Security-Policy the chart's one ``<style>``
gets the request's nonce where it is embedded (the ``with_style_nonce`` filter), and the hidden
tooltip's ``style`` attribute (CSP would refuse it) becomes SVG's own ``opacity`` attribute. Each chart carries a <title> and <desc> and role="img" with
aria-labelledby; the same numbers are in a table under <details> on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pygal
from django.utils.html import escape
from pygal.style import Style

from kehu.usage.models import Product
from kehu.usage.selectors import Point

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family='system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
    colors=("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"),
)


@dataclass
class Chart:
    title: str
    description: str
    labels: list[str]
    series: list[tuple[str, list[Decimal | None]]]
    unit: str = ""
    svg: str = ""
    rows: list[tuple[str, list[Decimal | None]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.labels


def render(chart: Chart, *, height: int = 320, small: bool = False) -> Chart:
    """Fill ``chart.svg`` (an inline SVG string, safe to embed) and the table rows."""
    chart.rows = [
        (label, [values[i] for _name, values in chart.series])
        for i, label in enumerate(chart.labels)
    ]
    if chart.empty:
        return chart
    config: dict[str, Any] = {
        "js": [],
        "disable_xml_declaration": True,
        "style": _STYLE,
        "height": height,
        "width": 900,
        "show_dots": len(chart.labels) <= 31,
        "x_label_rotation": 30,
        "show_minor_x_labels": False,
        "truncate_legend": 30,
        "legend_at_bottom": True,
        "title": chart.title,
        "show_legend": not small or len(chart.series) > 1,
    }
    line = pygal.Line(**config)
    line.x_labels = chart.labels
    step = max(1, len(chart.labels) // 12)
    line.x_labels_major = chart.labels[::step]
    for name, values in chart.series:
        line.add(name, [float(v) if v is not None else None for v in values])
    svg = _SCRIPT.sub("", line.render(is_unicode=True)).replace(
        ' style="opacity: 0"', ' opacity="0"'
    )
    chart.svg = _accessible(svg, chart)
    return chart


def _accessible(svg: str, chart: Chart) -> str:
    match = re.match(r'<svg[^>]*\bid="([^"]+)"[^>]*>', svg)
    if not match:
        return svg
    ident = match.group(1)
    opening = match.group(0)
    labelled = opening[:-1] + (
        f' role="img" aria-labelledby="{ident}-title {ident}-desc"'
        ' preserveAspectRatio="xMinYMin meet" width="100%">'
    )
    heading = (
        f'<title id="{ident}-title">{escape(chart.title)}</title>'
        f'<desc id="{ident}-desc">{escape(chart.description)}</desc>'
    )
    return labelled + heading + svg[len(opening) :]


def per_product(
    points: list[Point],
    products: list[Product],
    periods: list[date],
    *,
    value: str = "quantity",
    label_format: str = "%Y-%m-%d",
) -> tuple[list[str], list[tuple[str, list[Decimal | None]]]]:
    """x labels and one series per product over ``periods`` (a period without data is a gap)."""
    by_key = {(p.product_id, p.period): getattr(p, value) for p in points}
    labels = [d.strftime(label_format) for d in periods]
    series = []
    for product in products:
        name = product.display_name + (f" ({product.unit})" if product.unit else "")
        series.append((name, [by_key.get((product.pk, d)) for d in periods]))
    return labels, series


def periods(start: date, end: date, granularity: str) -> list[date]:
    """Every period start from ``start`` to ``end``: days, Mondays or firsts of the month."""
    if granularity == "week":
        current = start - timedelta(days=start.weekday())
        step = timedelta(days=7)
    elif granularity == "month":
        current, step = start.replace(day=1), timedelta(0)
    else:
        current, step = start, timedelta(days=1)
    found = []
    while current <= end:
        found.append(current)
        if granularity == "month":
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current += step
    return found


def products_of(points: list[Point]) -> list[Product]:
    """The products appearing in ``points`` (one query), in code order."""
    return list(Product.objects.filter(pk__in={p.product_id for p in points}).order_by("code"))


def usage_chart(
    points: list[Point],
    products: list[Product],
    *,
    start: date,
    end: date,
    granularity: str,
    title: str,
    description: str,
    value: str = "quantity",
    small: bool = False,
) -> Chart:
    """A line per product of ``value`` over the periods from ``start`` to ``end``."""
    label_format = "%Y-%m" if granularity == "month" else "%Y-%m-%d"
    labels, series = per_product(
        points,
        products,
        periods(start, end, granularity),
        value=value,
        label_format=label_format,
    )
    if not any(v is not None for _n, values in series for v in values):
        labels, series = [], []
    chart = Chart(title=title, description=description, labels=labels, series=series)
    return render(chart, height=220 if small else 320, small=small)
