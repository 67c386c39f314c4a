"""A report's figures as a document in one language and edition: titled sections, each with a
table and usually a chart, and the paragraph of what got better and worse.

The web page, the email, the PDF and the XLSX all render this one document, so they say the
same thing. Call it with the reader's language active (``translation.override``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kehu.desk.models import Channel, Target
from kehu.desk.priority import TicketType
from kehu.feedback.models import RootCause
from kehu.incidents.models import IncidentSeverity, IncidentStatus
from kehu.insight.models import Period, Report, ScopeKind
from kehu.insight.rules import CUSTOMER
from kehu.relations.models import Stage

Cell = str | int | float | None


@dataclass
class Chart:
    labels: list[str]
    values: list[float]
    links: list[str | None]
    unit: str = ""
    horizontal: bool = False


@dataclass
class Section:
    key: str
    title: str
    header: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass
class Document:
    title: str
    subtitle: str
    summary: str
    sections: list[Section]
    edition: str


def _label(choices: Any, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code or "—"


def _name(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") and en else zh


def minutes(value: float | None) -> str:
    """Business minutes as hours and minutes in the reader's language ("—" without a value)."""
    if value is None:
        return "—"
    total = round(value)
    hours, rest = divmod(total, 60)
    if hours and rest:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": rest}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def number(value: Any) -> str:
    return "—" if value is None else str(value)


FIGURE_NAMES = {
    "volume": lambda: _("ticket volume"),
    "sla_attainment": lambda: _("SLA attainment"),
    "first_response_median": lambda: _("median first response"),
    "resolution_median": lambda: _("median resolution time"),
    "backlog": lambda: _("backlog"),
    "satisfaction": lambda: _("average satisfaction"),
    "complaints": lambda: _("complaints"),
    "incidents": lambda: _("major incidents"),
}


def shown(key: str, value: Any) -> str:
    if key in ("first_response_median", "resolution_median"):
        return minutes(value)
    if key == "sla_attainment":
        return percent(value)
    return number(value)


def summary(figures: dict[str, Any]) -> str:
    """One paragraph from the numbers: what got better, what got worse, what only changed."""
    changes = figures.get("changes", [])
    head = figures.get("headline", {})
    if (
        not head.get("volume")
        and not head.get("backlog")
        and not figures["satisfaction"]["ratings"]
        and not head.get("incidents")
    ):
        return _(
            "Nothing happened in this period: no tickets, no open backlog, no ratings and no major incidents."
        )

    def phrase(change: dict[str, Any]) -> str:
        return _("%(figure)s %(before)s → %(after)s") % {
            "figure": FIGURE_NAMES[change["key"]](),
            "before": shown(change["key"], change["before"]),
            "after": shown(change["key"], change["after"]),
        }

    better = [phrase(c) for c in changes if c["verdict"] == "better"]
    worse = [phrase(c) for c in changes if c["verdict"] == "worse"]
    changed = [phrase(c) for c in changes if c["verdict"] == "changed"]
    separator = _(", ")
    parts = []
    if better:
        parts.append(
            _("Better than the previous period: %(list)s.") % {"list": separator.join(better)}
        )
    if worse:
        parts.append(_("Worse: %(list)s.") % {"list": separator.join(worse)})
    if changed:
        parts.append(_("Changed: %(list)s.") % {"list": separator.join(changed)})
    if not parts:
        parts.append(_("No figure moved noticeably since the previous period."))
    return " ".join(parts)


def _rows_url(report: Report, figure: str, key: Any) -> str:
    return reverse("insight:report-rows", args=[report.pk, figure]) + "?" + urlencode({"key": key})


def document(report: Report, edition: str) -> Document:
    """The report in the active language, for ``edition`` (internal or customer)."""
    f = report.figures
    internal = edition != CUSTOMER
    link = (lambda figure, key: _rows_url(report, figure, key)) if internal else (lambda *_a: None)
    scope = _name(f["scope"]["name"], f["scope"]["name_en"])
    kind = _label(ScopeKind, report.kind) if report.kind != ScopeKind.COMPANY else ""
    period = _label(Period, report.period)
    title = _("Perception report: %(scope)s") % {
        "scope": scope if not kind else f"{kind} · {scope}"
    }
    end_shown = report.period_end.toordinal() - 1
    from datetime import date

    subtitle = _("%(period)s, %(start)s to %(end)s") % {
        "period": period,
        "start": date_format(report.period_start, "SHORT_DATE_FORMAT"),
        "end": date_format(date.fromordinal(end_shown), "SHORT_DATE_FORMAT"),
    }
    sections = [
        _changes(f),
        _by(f["volume"]["by_type"], "volume_type", _("Tickets by type"), TicketType, link),
        _by(f["volume"]["by_channel"], "volume_channel", _("Tickets by channel"), Channel, link),
        _categories(f, link),
        _sla(f, link),
        _times(f),
        _backlog(f, link),
        _satisfaction(f, internal),
        _complaints(f, internal, link),
        _incidents(f),
    ]
    if "top_customers" in f and internal:
        sections.append(_top(f, report))
    if "usage" in f:
        sections.append(_usage(f))
    if "relations" in f and internal:
        sections.append(_relations(f))
    return Document(title, subtitle, summary(f), sections, edition)


def _changes(f: dict[str, Any]) -> Section:
    verdicts = {
        "better": _("better"),
        "worse": _("worse"),
        "changed": _("changed"),
        "same": _("about the same"),
        "new": _("new"),
        "gone": _("no longer measured"),
    }
    rows: list[list[Cell]] = [
        [
            _first_upper(FIGURE_NAMES[c["key"]]()),
            shown(c["key"], c["before"]),
            shown(c["key"], c["after"]),
            verdicts[c["verdict"]],
        ]
        for c in f.get("changes", [])
    ]
    return Section(
        "changes",
        _("What changed since the previous period"),
        [_("Figure"), _("Previous period"), _("This period"), _("Verdict")],
        rows,
    )


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _by(pairs: list[list[Any]], key: str, title: str, choices: Any, link: Any) -> Section:
    rows: list[list[Cell]] = [[_label(choices, code), n] for code, n in pairs]
    links = [link(key, code) for code, _n in pairs]
    chart = Chart([str(r[0]) for r in rows], [float(n) for _c, n in pairs], links)
    return Section(key, title, [_("Kind"), _("Tickets")], rows, links, chart if rows else None)


def _categories(f: dict[str, Any], link: Any) -> Section:
    items = f["volume"]["by_category"]
    rows: list[list[Cell]] = [[_name(zh, en) or _("No category"), n] for zh, en, n in items]
    links = [link("volume_category", zh or "-") for zh, _en, _n in items]
    chart = Chart(
        [str(r[0]) for r in rows], [float(r[1] or 0) for r in rows], links, horizontal=True
    )
    return Section(
        "volume_category",
        _("Tickets by category"),
        [_("Category"), _("Tickets")],
        rows,
        links,
        chart if rows else None,
    )


def _sla(f: dict[str, Any], link: Any) -> Section:
    rows: list[list[Cell]] = [
        [_label(Target, r["target"]), r["total"], r["met"], percent(r["attainment"])]
        for r in f["sla"]
    ]
    links = [link("sla", r["target"]) for r in f["sla"]]
    chart = Chart(
        [str(r[0]) for r in rows],
        [float(r["attainment"] or 0) for r in f["sla"]],
        links,
        unit="%",
    )
    return Section(
        "sla",
        _("SLA attainment per target"),
        [_("Target"), _("Clocks"), _("Met"), _("Attainment")],
        rows,
        links,
        chart if rows else None,
        _("Clocks that stopped in the period, and running clocks whose due time passed in it."),
    )


def _times(f: dict[str, Any]) -> Section:
    t = f["times"]
    rows: list[list[Cell]] = []
    for key, label in (("first_response", _("First response")), ("resolution", _("Resolution"))):
        if t[key]["count"]:
            rows.append([label, t[key]["count"], minutes(t[key]["median"]), minutes(t[key]["p90"])])
    return Section(
        "times",
        _("Response and resolution times (business hours)"),
        [_("Measure"), _("Tickets"), _("Median"), _("90th percentile")],
        rows,
        note=_("Business time of each ticket's SLA calendar, paused time left out."),
    )


AGE_LABELS = {
    "lt1": lambda: _("under 1 day"),
    "1to3": lambda: _("1–3 days"),
    "3to7": lambda: _("3–7 days"),
    "7to30": lambda: _("7–30 days"),
    "ge30": lambda: _("30 days or more"),
}


def _backlog(f: dict[str, Any], link: Any) -> Section:
    b = f["backlog"]
    rows: list[list[Cell]] = (
        [[AGE_LABELS[key](), n] for key, n in b["buckets"]] if b["open"] else []
    )
    links = [link("backlog", key) for key, _n in b["buckets"]] if b["open"] else []
    chart = (
        Chart([str(r[0]) for r in rows], [float(r[1] or 0) for r in rows], links) if rows else None
    )
    note = (
        _(
            "%(open)s open at the end of the period; median age %(median)s days, oldest %(oldest)s days."
        )
        % {
            "open": b["open"],
            "median": number(b["median_age_days"]),
            "oldest": number(b["oldest_days"]),
        }
        if b["open"]
        else ""
    )
    return Section(
        "backlog",
        _("Backlog age at the end of the period"),
        [_("Age"), _("Tickets")],
        rows,
        links,
        chart,
        note,
    )


def _satisfaction(f: dict[str, Any], internal: bool) -> Section:
    s = f["satisfaction"]
    rows: list[list[Cell]] = []
    if s["ratings"]:
        rows = [
            [_("Ratings"), s["ratings"]],
            [_("Average score (1–5)"), number(s["average"])],
            [_("Satisfied (4 or 5)"), percent(s["satisfied_pct"])],
            [_("Low scores (1 or 2)"), s["low"]],
        ]
    if internal and (s["ratings"] or s["callbacks_opened"]):
        rows += [
            [_("Callbacks opened"), s["callbacks_opened"]],
            [_("Callbacks done"), s["callbacks_done"]],
        ]
    return Section(
        "satisfaction",
        _("Satisfaction and callbacks") if internal else _("Satisfaction"),
        [_("Measure"), _("Value")],
        rows,
    )


def _complaints(f: dict[str, Any], internal: bool, link: Any) -> Section:
    c = f["complaints"]
    rows: list[list[Cell]] = []
    links: list[str | None] = []
    if c["count"]:
        rows.append([_("Complaints"), c["count"]])
        links.append(link("complaints", "all"))
        if internal:
            rows += [[_label(RootCause, code), n] for code, n in c["by_class"]]
            links += [link("complaints", code) for code, _n in c["by_class"]]
            rows.append(
                [_("Loss (%(currency)s)") % {"currency": c["loss_currency"]}, c["loss_amount"]]
            )
            rows.append([_("Hours lost"), c["loss_hours"]])
            links += [None, None]
    return Section(
        "complaints",
        _("Complaints by class and losses") if internal else _("Complaints"),
        [_("Measure"), _("Value")],
        rows,
        links,
    )


def _incidents(f: dict[str, Any]) -> Section:
    rows: list[list[Cell]] = [
        [
            i["reference"],
            i["title"],
            _label(IncidentSeverity, i["severity"]).split(":")[0],
            _label(IncidentStatus, i["status"]),
            i["declared_on"],
            number(i["hours_to_resolve"]),
        ]
        for i in f["incidents"]
    ]
    return Section(
        "incidents",
        _("Major incidents"),
        [
            _("Reference"),
            _("Title"),
            _("Severity"),
            _("Status"),
            _("Declared"),
            _("Hours to resolve"),
        ],
        rows,
    )


def _top(f: dict[str, Any], report: Report) -> Section:
    items = f["top_customers"]
    rows: list[list[Cell]] = [
        [
            _name(t["name"], t["name_en"]),
            t["tickets"],
            t["breached"],
            t["complaints"],
            t["low_ratings"],
            t["incidents"],
            t["pain"],
        ]
        for t in items
    ]
    links: list[str | None] = [
        reverse("customers:account-detail", args=[t["account_id"]]) for t in items
    ]
    chart = Chart(
        [str(r[0]) for r in rows], [float(t["pain"]) for t in items], links, horizontal=True
    )
    return Section(
        "top_customers",
        _("Top customers by pain"),
        [
            _("Account"),
            _("Tickets"),
            _("SLA breached"),
            _("Complaints"),
            _("Low ratings"),
            _("Major incidents"),
            _("Pain"),
        ],
        rows,
        links,
        chart if rows else None,
        _(
            "Pain: 1 per ticket, 2 per SLA breach, 3 per complaint, 2 per low rating, 5 per major incident."
        ),
    )


def _usage(f: dict[str, Any]) -> Section:
    u = f["usage"]
    rows: list[list[Cell]] = [
        [
            _name(p["name"], p["name_en"]),
            p["previous_quantity"],
            p["quantity"],
            p["previous_spend"],
            p["spend"],
        ]
        for p in u["products"]
    ]
    note = (
        _("Spend %(before)s → %(after)s CNY (%(change)s).")
        % {
            "before": u["previous_spend"],
            "after": u["spend"],
            "change": percent(u["spend_change_pct"]),
        }
        if rows
        else ""
    )
    return Section(
        "usage",
        _("Usage"),
        [
            _("Product"),
            _("Quantity before"),
            _("Quantity"),
            _("Spend before (CNY)"),
            _("Spend (CNY)"),
        ],
        rows,
        note=note,
    )


def _relations(f: dict[str, Any]) -> Section:
    r = f["relations"]
    rows: list[list[Cell]] = [
        [
            c["on"],
            c["person"],
            _label(Stage, c["from_stage"]) if c["from_stage"] else "—",
            _label(Stage, c["to_stage"]),
            _("closer") if c["up"] else _("cooler"),
        ]
        for c in r["changes"]
    ]
    return Section(
        "relations",
        _("Relationship changes"),
        [_("Date"), _("Person"), _("From"), _("To"), _("Direction")],
        rows,
    )


def edition_figures(figures: dict[str, Any], edition: str) -> dict[str, Any]:
    """The figures an edition shows: the customer's leaves out every internal one (callbacks,
    complaint classes and losses, other customers, the relationship map)."""
    if edition != CUSTOMER:
        return figures
    shown = {k: v for k, v in figures.items() if k not in ("top_customers", "relations")}
    shown["satisfaction"] = {
        k: v for k, v in figures["satisfaction"].items() if not k.startswith("callbacks")
    }
    shown["complaints"] = {"count": figures["complaints"]["count"]}
    return shown


def scope_title(report: Report) -> str:
    """ "Department · 售后服务部" in the active language."""
    scope = report.figures.get("scope", {})
    name = _name(scope.get("name", ""), scope.get("name_en", ""))
    if report.kind == ScopeKind.COMPANY:
        return str(ScopeKind.COMPANY.label)
    return f"{_label(ScopeKind, report.kind)} · {name}"
