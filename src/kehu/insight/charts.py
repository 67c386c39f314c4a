"""Charts of insight pages, mail and PDF, drawn with pygal (the project's chart library).

Pages get inline SVG with each bar linking to the rows behind it (no JavaScript). Email and
PDF get PNG rasterised by CairoSVG: Gmail, Outlook and most webmail clients drop inline SVG,
while a PNG referenced by Content-ID inside the message shows everywhere and needs no request
to our server. The PNG is drawn with the Noto CJK fonts that come with the browser-test setup,
so Chinese labels read.
"""

from __future__ import annotations

import re
from typing import Any

import pygal
from django.utils.html import escape
from pygal.style import Style

from kehu.insight.presentation import Chart

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif'
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    title_font_size=16,
    colors=("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"),
)
PNG_STYLE = Style(
    background="white",
    plot_background="white",
    font_family=FONT,
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=13,
    title_font_size=16,
    colors=STYLE.colors,
)


def _chart(chart: Chart, title: str, *, style: Style, links: bool) -> Any:
    config: dict[str, Any] = {
        "js": [],
        "disable_xml_declaration": True,
        "style": style,
        "height": max(260, 34 * len(chart.labels) + 90) if chart.horizontal else 320,
        "width": 800,
        "show_legend": False,
        "print_values": True,
        "title": title,
        "truncate_label": 24,
        "x_label_rotation": 0 if chart.horizontal else 20,
    }
    if chart.unit == "%":
        config["range"] = (0, 100)
        config["formatter"] = lambda v: f"{v:.1f}%"
    else:
        config["formatter"] = lambda v: f"{v:g}"
        top = int(max(chart.values, default=0))
        step = max(1, -(-top // 6))  # whole numbers of tickets: at most about six grid lines
        config["y_labels"] = list(range(0, top + step + 1, step))
    drawn = (pygal.HorizontalBar if chart.horizontal else pygal.Bar)(**config)
    drawn.x_labels = chart.labels
    values = []
    for value, link in zip(chart.values, chart.links or [None] * len(chart.values), strict=False):
        point: dict[str, Any] = {"value": value}
        if links and link:
            point["xlink"] = {"href": link, "target": "_top"}
        values.append(point)
    drawn.add(title, values)
    return drawn


def svg(chart: Chart, title: str) -> str:
    """Inline SVG for a page: accessible name, bars linking to their rows."""
    markup = _SCRIPT.sub("", _chart(chart, title, style=STYLE, links=True).render(is_unicode=True))
    match = re.match(r"<svg[^>]*>", markup)
    if not match:
        return str(markup)
    opening = match.group(0)
    labelled = opening[:-1] + f' role="img" aria-label="{escape(title)}" width="100%">'
    return labelled + markup[len(opening) :]


def png(chart: Chart, title: str) -> bytes:
    """The chart as a PNG picture (for email and PDF)."""
    import cairosvg

    markup = _chart(chart, title, style=PNG_STYLE, links=False).render()
    return bytes(cairosvg.svg2png(bytestring=markup, output_width=800))


def history_svg(history: list[Any], title: str) -> str:
    """A line of an account's health scores over time, 0–100."""
    line = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        height=300,
        width=800,
        show_legend=False,
        range=(0, 100),
        title=title,
        x_label_rotation=20,
        show_minor_x_labels=False,
    )
    labels = [h.day.isoformat() for h in history]
    line.x_labels = labels
    line.x_labels_major = labels[:: max(1, len(labels) // 10)]
    line.add(title, [h.score for h in history])
    markup = _SCRIPT.sub("", line.render(is_unicode=True))
    match = re.match(r"<svg[^>]*>", markup)
    if not match:
        return str(markup)
    opening = match.group(0)
    return (
        opening[:-1]
        + f' role="img" aria-label="{escape(title)}" width="100%">'
        + markup[len(opening) :]
    )
