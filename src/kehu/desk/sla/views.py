"""Service-desk pages. So far: business calendars."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize, can
from kehu.audit.selectors import history_rows
from kehu.core.concurrency import StaleVersionError
from kehu.core.pages import FormPage, delete_page, to_detail
from kehu.customers.models import AccountLevel
from kehu.desk.models import BusinessCalendar, SlaPolicy, Weekday
from kehu.desk.priority import Impact, Priority, Severity, TicketType, cell_key
from kehu.desk.sla import engine as sla
from kehu.desk.sla import selectors, services
from kehu.desk.sla.forms import CalendarForm, DueForm, PolicyMatchForm, SlaPolicyForm

CALENDAR_PAGE = FormPage("desk/calendar_form.html", done=to_detail("desk:calendar-detail"))
POLICY_PAGE = FormPage("desk/sla_policy_form.html", done=to_detail("desk:sla-policy-detail"))


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, BusinessCalendar)
    rows = [(c, selectors.weekly_hours(c)) for c in selectors.calendars()]
    return render(
        request,
        "desk/calendar_list.html",
        {"rows": rows, "can_add": can(request.user, ADD, BusinessCalendar)},
    )


@login_required
def calendar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = access_object(request.user, BusinessCalendar, pk, queryset=selectors.calendars())
    week: dict[int, list[Any]] = {value: [] for value in Weekday.values}
    for interval in calendar.intervals.all():
        week[interval.weekday].append(interval)
    due_form = DueForm(request.GET or None)
    answer = None
    if due_form.is_valid():
        engine = selectors.engine_calendar(calendar)
        start = due_form.start_aware(engine.zone)
        try:
            answer = sla.add_business_time(
                engine, start, timedelta(minutes=due_form.cleaned_data["minutes"])
            )
        except sla.CalendarError as exc:
            due_form.add_error(None, str(exc))
    return render(
        request,
        "desk/calendar_detail.html",
        {
            "calendar": calendar,
            "week": [(Weekday(value).label, spans) for value, spans in week.items()],
            "weekly_hours": selectors.weekly_hours(calendar),
            "days": calendar.days.all(),
            "due_form": due_form,
            "due_at": answer,
            "history": history_rows(calendar),
            "can_change": can(request.user, CHANGE, calendar),
            "can_delete": can(request.user, DELETE, calendar),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def calendar_create(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, BusinessCalendar)
    form = CalendarForm(request.POST or None)

    def save() -> BusinessCalendar:
        intervals, days = form.cleaned_data["schedule"]
        fields = form.model_fields()
        return services.calendar_create(fields=fields, intervals=intervals, days=days)

    return CALENDAR_PAGE(request, form, save, created=True, calendar=None)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = access_object(
        request.user, BusinessCalendar, pk, action=CHANGE, queryset=selectors.calendars()
    )
    form = CalendarForm(request.POST or None, instance=selectors.calendars().get(pk=pk))

    def save() -> BusinessCalendar:
        intervals, days = form.cleaned_data["schedule"]
        return services.calendar_update(
            calendar=calendar,
            expected_version=form.cleaned_data["version"],
            fields=form.model_fields(),
            intervals=intervals,
            days=days,
        )

    return CALENDAR_PAGE(request, form, save, calendar=calendar)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_delete(request: HttpRequest, pk: int) -> HttpResponse:
    calendar = access_object(request.user, BusinessCalendar, pk, action=DELETE)
    back = reverse("desk:calendar-detail", args=[pk])
    return delete_page(request, calendar, done=reverse("desk:calendar-list"), cancel_url=back)


@login_required
@require_http_methods(["GET", "POST"])
def priority_matrix_view(request: HttpRequest) -> HttpResponse:
    matrix = services.priority_matrix()
    authorize(request.user, VIEW, matrix)
    cells = dict(matrix.cells)
    status = 200
    if request.method == "POST":
        authorize(request.user, CHANGE, matrix)
        cells = {key: request.POST.get(f"cell-{key}", "") for key in cells}
        version = request.POST.get("version", "")
        try:
            matrix = services.priority_matrix_update(
                expected_version=int(version) if version.isdigit() else 0, cells=cells
            )
        except StaleVersionError as exc:
            messages.error(request, str(exc))
            status = 409
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 422
        else:
            messages.success(request, _("The priority matrix was saved."))
            return redirect("desk:priority-matrix")
    rows = [
        (
            impact_label,
            [
                (cell_key(impact, severity), cells.get(cell_key(impact, severity)))
                for severity in Severity.values
            ],
        )
        for impact, impact_label in Impact.choices
    ]
    return render(
        request,
        "desk/priority_matrix.html",
        {
            "matrix": matrix,
            "rows": rows,
            "severities": Severity.choices,
            "priorities": Priority.choices,
            "can_change": can(request.user, CHANGE, matrix),
            "history": history_rows(matrix),
        },
        status=status,
    )


@login_required
def sla_policy_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, SlaPolicy)
    match_form = PolicyMatchForm(request.GET or None)
    match = None
    if match_form.is_valid():
        department, service = (
            match_form.cleaned_data["department"],
            match_form.cleaned_data["service"],
        )
        match = selectors.sla_policy_for(
            ticket_type=match_form.cleaned_data["ticket_type"],
            priority=match_form.cleaned_data["priority"],
            department_id=department.pk if department else None,
            service_id=service.pk if service else None,
        )
    policies = list(selectors.sla_policies())
    return render(
        request,
        "desk/sla_policy_list.html",
        {
            "policies": policies,
            "day_minutes": selectors.working_day_minutes(
                {p.calendar_id for p in policies} | ({match[0].calendar_id} if match else set())
            ),
            "match_form": match_form,
            "match": match,
            "searched": match_form.is_bound,
            "can_add": can(request.user, ADD, SlaPolicy),
            "type_labels": dict(TicketType.choices),
            "level_labels": dict(AccountLevel.choices),
        },
    )


@login_required
def sla_policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    policy = access_object(request.user, SlaPolicy, pk, queryset=selectors.sla_policies())
    return render(
        request,
        "desk/sla_policy_detail.html",
        {
            "policy": policy,
            "day": selectors.working_day_minutes([policy.calendar_id])[policy.calendar_id],
            "type_labels": dict(TicketType.choices),
            "level_labels": dict(AccountLevel.choices),
            "history": history_rows(policy),
            "can_change": can(request.user, CHANGE, policy),
            "can_delete": can(request.user, DELETE, policy),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if pk is None:
        authorize(request.user, ADD, SlaPolicy)
        policy = None
    else:
        policy = access_object(request.user, SlaPolicy, pk, action=CHANGE)
    form = SlaPolicyForm(
        request.POST or None, instance=selectors.sla_policies().get(pk=pk) if pk else None
    )

    def save() -> SlaPolicy:
        data = form.cleaned_data
        return services.sla_policy_save(
            policy=policy,
            expected_version=data.get("version"),
            fields=form.model_fields(),
            departments=list(data["departments"]),
            services=list(data["services"]),
            categories=list(data["categories"]),
            targets=data["targets"],
            escalation=data["escalation"],
        )

    return POLICY_PAGE(request, form, save, policy=policy)


@login_required
@require_http_methods(["GET", "POST"])
def sla_policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = access_object(request.user, SlaPolicy, pk, action=DELETE)
    back = reverse("desk:sla-policy-detail", args=[pk])
    return delete_page(request, policy, done=reverse("desk:sla-policy-list"), cancel_url=back)
