"""Insight pages: the report archive (open, download PDF/XLSX, drill into the rows behind a
figure), subscriptions, scorecards and the matrix, health scores. Decisions: rules.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.access.permissions import is_staff_member, roles_of
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account
from kehu.customers.rules import can_view_dossier, portal_account_id
from kehu.desk.models import SlaClock, Ticket
from kehu.insight import (
    charts,
    export,
    health,
    health_services,
    presentation,
    reports,
    scorecards,
    selectors,
)
from kehu.insight.figures import AGE_BUCKETS
from kehu.insight.models import AccountHealth, Period, Report, ScopeKind, Subscription
from kehu.insight.periods import instant
from kehu.insight.rules import (
    CUSTOMER,
    INTERNAL,
    edition_for,
    may_configure_health,
    reads_matrix,
    reads_scorecard,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_SHOWN = 200


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


def _report(request: HttpRequest, pk: int) -> tuple[Report, str]:
    """The report and the edition this reader gets; 404 for a report they may not read."""
    report = Report.objects.filter(pk=pk).first()
    edition = edition_for(request.user, report.scope_key) if report else None
    if report is None or edition is None:
        raise Http404
    return report, edition


def _stem(report: Report) -> str:
    return f"kehu-report-{report.period}-{report.period_start:%Y%m%d}-{report.scope_key.replace(':', '-')}"


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    if not roles_of(request.user):
        raise PermissionDenied
    period = request.GET.get("period", "")
    kind = request.GET.get("kind", "")
    found = selectors.readable_reports(request.user, period=period, kind=kind)
    # readable_reports already decided: staff read the internal edition, customers their own.
    edition = INTERNAL if is_staff_member(request.user) else CUSTOMER
    listed = list(found[:300])
    rows = [{"report": r, "title": presentation.scope_title(r), "edition": edition} for r in listed]
    if _wants_xlsx(request):
        header = [_("Report"), _("Period"), _("From"), _("Until"), _("Generated")]
        data: list[list[Any]] = [
            [
                presentation.scope_title(r),
                str(Period(r.period).label),
                r.period_start,
                r.period_end - timedelta(days=1),
                timezone.localtime(r.generated_at).strftime("%Y-%m-%d %H:%M"),
            ]
            for r in listed
        ]
        return _download(export.table(_("Reports"), header, data), "kehu-reports.xlsx", XLSX)
    return render(
        request,
        "insight/report_list.html",
        {
            "rows": rows,
            "period": period,
            "kind": kind,
            "periods": Period.choices,
            "kinds": ScopeKind.choices,
            "is_staff": is_staff_member(request.user),
        },
    )


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report, edition = _report(request, pk)
    doc = presentation.document(report, edition)
    svgs = {s.key: charts.svg(s.chart, s.title) for s in doc.sections if s.chart is not None}
    deliveries = (
        report.deliveries.select_related("user").order_by("id")
        if edition != CUSTOMER
        and is_staff_member(request.user)
        and (roles_of(request.user) & {"admin", "auditor"})
        else None
    )
    return render(
        request,
        "insight/report_detail.html",
        {"report": report, "doc": doc, "svgs": svgs, "deliveries": deliveries, "edition": edition},
    )


@login_required
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report, edition = _report(request, pk)
    return _download(
        export.pdf(presentation.document(report, edition)),
        f"{_stem(report)}.pdf",
        "application/pdf",
    )


@login_required
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    report, edition = _report(request, pk)
    return _download(
        export.xlsx(presentation.document(report, edition)), f"{_stem(report)}.xlsx", XLSX
    )


FIGURES = ("volume_type", "volume_channel", "volume_category", "sla", "backlog", "complaints")


@login_required
def report_rows(request: HttpRequest, pk: int, figure: str) -> HttpResponse:
    """The tickets behind one bar or line of a report (internal readers only)."""
    report, edition = _report(request, pk)
    if edition == CUSTOMER or figure not in FIGURES:
        raise Http404
    key = request.GET.get("key", "")[:100]
    kind, scope_pk = reports.parse_scope_key(report.scope_key)
    scope = reports.scope_of(kind, scope_pk)
    begin, finish = instant(report.period_start), instant(report.period_end)
    tickets = scope.tickets()
    created = tickets.filter(created_at__gte=begin, created_at__lt=finish)
    if figure == "volume_type":
        found = created.filter(ticket_type=key)
    elif figure == "volume_channel":
        found = created.filter(channel=key)
    elif figure == "volume_category":
        found = (
            created.filter(category__isnull=True)
            if key == "-"
            else created.filter(category__name=key)
        )
    elif figure == "complaints":
        found = created.filter(ticket_type="complaint")
        if key != "all":
            found = found.filter(complaint_record__root_cause_class=key)
    elif figure == "sla":
        clocks = SlaClock.objects.filter(target=key).filter(
            Q(stopped_at__gte=begin, stopped_at__lt=finish)
            | Q(stopped_at__isnull=True, due_at__gte=begin, due_at__lt=min(finish, timezone.now()))
        )
        found = tickets.filter(pk__in=clocks.values("ticket_id")).order_by("-sla_breached", "-id")
    else:
        bucket = {k: (low, high) for k, low, high in AGE_BUCKETS}.get(key)
        if bucket is None:
            raise Http404
        low, high = bucket
        finish = min(finish, timezone.now())
        found = (
            tickets.exclude(resolved_at__lt=finish)
            .exclude(closed_at__lt=finish)
            .filter(created_at__lte=finish - timedelta(days=low))
        )
        if high is not None:
            found = found.filter(created_at__gt=finish - timedelta(days=high))
    found = found.select_related("department", "account").order_by(
        *(found.query.order_by or ["-id"])
    )
    total = found.count()
    shown = list(found[:ROWS_SHOWN])
    header = [
        _("Ticket"),
        _("Subject"),
        _("Status"),
        _("Department"),
        _("Account"),
        _("Created"),
        _("SLA breached"),
    ]

    def row(t: Ticket) -> list[Any]:
        return [
            t.reference,
            t.subject,
            t.get_status_display(),
            t.department.display_name
            if hasattr(t.department, "display_name")
            else str(t.department),
            t.account.name if t.account else "",
            timezone.localtime(t.created_at).strftime("%Y-%m-%d %H:%M"),
            _("yes") if t.sla_breached else _("no"),
        ]

    if _wants_xlsx(request):
        return _download(
            export.table(figure, header, [row(t) for t in found[:10000]]),
            f"{_stem(report)}-{figure}.xlsx",
            XLSX,
        )
    return render(
        request,
        "insight/report_rows.html",
        {
            "report": report,
            "title": presentation.scope_title(report),
            "figure": figure,
            "key": key,
            "tickets": shown,
            "rows": [(t, row(t)) for t in shown],
            "header": header,
            "total": total,
            "limit": ROWS_SHOWN,
        },
    )


@login_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    """The reader's subscriptions; POST adds or changes one."""
    if not roles_of(request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            reports.subscribe(
                user=request.user,
                key=request.POST.get("scope", ""),
                period=request.POST.get("period", ""),
                language=request.POST.get("language", ""),
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Subscribed. The next report comes by email."))
        return redirect("insight:subscriptions")
    mine = Subscription.objects.filter(user_id=request.user.pk or 0)
    return render(
        request,
        "insight/subscriptions.html",
        {
            "subscriptions": [(s, selectors.scope_label(s.scope_key)) for s in mine],
            "scopes": selectors.subscribable_scopes(request.user),
            "periods": Period.choices,
            "languages": [
                (code, translation.get_language_info(code)["name_local"])
                for code, _n in _languages()
            ],
            "no_email": not (getattr(request.user, "email", "") or "").strip(),
        },
    )


def _languages() -> list[tuple[str, str]]:
    from django.conf import settings

    return [(code, str(name)) for code, name in settings.LANGUAGES]


@login_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    deleted, _rows = Subscription.objects.filter(pk=pk, user_id=request.user.pk or 0).delete()
    if not deleted:
        raise Http404
    messages.success(request, _("Unsubscribed."))
    return redirect("insight:subscriptions")


def _window(request: HttpRequest) -> tuple[Any, Any, int]:
    try:
        days = int(request.GET.get("days", "90"))
    except ValueError:
        days = 90
    days = days if days in (30, 90, 365) else 90
    end = timezone.localdate() + timedelta(days=1)
    return end - timedelta(days=days), end, days


@login_required
def scorecard_list(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(request.user):
        raise PermissionDenied
    start, end, days = _window(request)
    cards = [
        c
        for c in scorecards.scorecards(start, end)
        if reads_scorecard(request.user, c.department.pk)
    ]
    header, rows = selectors.scorecard_table(cards)
    if _wants_xlsx(request):
        return _download(export.table(_("Scorecards"), header, rows), "kehu-scorecards.xlsx", XLSX)
    chart = selectors.scorecard_chart(cards, days)
    return render(
        request,
        "insight/scorecards.html",
        {
            "cards": cards,
            "days": days,
            "svg": charts.svg(chart, _("Requests answered per supplier department"))
            if chart.labels
            else "",
            "may_matrix": reads_matrix(request.user),
        },
    )


@login_required
def scorecard_matrix(request: HttpRequest) -> HttpResponse:
    if not reads_matrix(request.user):
        raise PermissionDenied
    start, end, days = _window(request)
    found = scorecards.matrix(start, end)
    header, rows = selectors.matrix_table(found)
    if _wants_xlsx(request):
        return _download(
            export.table(_("Matrix"), header, rows), "kehu-department-matrix.xlsx", XLSX
        )
    return render(
        request,
        "insight/matrix.html",
        {"matrix": found, "header": header, "rows": rows, "days": days},
    )


@login_required
def health_list(request: HttpRequest) -> HttpResponse:
    if not is_staff_member(request.user):
        raise PermissionDenied
    order = request.GET.get("order", "score")
    found = selectors.health_rows(request.user, order=order)
    header = [_("Account"), _("Health score"), _("Change (30 days)"), _("Computed")]
    if _wants_xlsx(request):
        data = [[h.account.name, h.score, h.change, h.computed_on] for h in found]
        return _download(export.table(_("Health"), header, data), "kehu-health.xlsx", XLSX)
    page = found[:200]
    chart = selectors.health_distribution(found)
    return render(
        request,
        "insight/health_list.html",
        {
            "rows": page,
            "total": len(found),
            "order": order,
            "svg": charts.svg(chart, _("Accounts by health score")) if chart.labels else "",
            "may_configure": may_configure_health(request.user),
        },
    )


@login_required
def health_account(request: HttpRequest, account_id: int) -> HttpResponse:
    account = Account.objects.filter(pk=account_id).first()
    if (
        account is None
        or not is_staff_member(request.user)
        or not can_view_dossier(request.user, account)
    ):
        raise Http404
    current = AccountHealth.objects.filter(account=account).first()
    factors = selectors.factor_rows(current)
    history = selectors.health_history(account)
    if _wants_xlsx(request):
        header = [_("Day"), _("Health score")]
        return _download(
            export.table(_("Health history"), header, [[h.day, h.score] for h in history]),
            f"kehu-health-{account.pk}.xlsx",
            XLSX,
        )
    svg = charts.history_svg(history, _("Health score history")) if history else ""
    return render(
        request,
        "insight/health_account.html",
        {
            "account": account,
            "current": current,
            "factors": factors,
            "svg": svg,
            "history": history,
        },
    )


@login_required
def health_settings(request: HttpRequest) -> HttpResponse:
    if not may_configure_health(request.user):
        raise PermissionDenied
    row = health_services.settings_row()
    weights = health_services.weights_of(row)
    if request.method == "POST":
        try:
            new_weights = {
                key: _int(request.POST.get(f"weight_{key}", ""), key) for key in health.FACTORS
            }
            thresholds = [
                _int(v, "thresholds")
                for v in request.POST.get("thresholds", "").replace("，", ",").split(",")
                if v.strip()
            ]
            health_services.settings_update(
                weights=new_weights,
                thresholds=thresholds,
                expected_version=_int(request.POST.get("version", ""), "version"),
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        except StaleVersionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Saved. The new weights apply from the next recomputation.")
            )
            return redirect("insight:health-settings")
    factors = [(f, weights.get(key, 0)) for key, f in health.FACTORS.items()]
    return render(
        request,
        "insight/health_settings.html",
        {"row": row, "factors": factors, "thresholds": ", ".join(str(t) for t in row.thresholds)},
    )


def _int(value: str, field: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError({field: _("Enter a whole number.")}) from None
    if not 0 <= number <= 100:
        raise ValidationError({field: _("Enter a number from 0 to 100.")})
    return number


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Customers go to their reports; staff to the archive."""
    if not is_staff_member(request.user) and portal_account_id(request.user) is None:
        raise PermissionDenied
    return redirect(reverse("insight:reports"))
