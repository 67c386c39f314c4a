"""Staff pages of major incidents: list, declare, edit, the incident page and its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize, can
from kehu.audit.selectors import history_rows
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors, post_action_target
from kehu.core.pages import ObjectActions, filters_from, list_page
from kehu.customers.models import Account
from kehu.incidents import selectors, services
from kehu.incidents.forms import (
    FilterForm,
    IncidentForm,
    LinkForm,
    NotifyForm,
    ReviewForm,
    StatusForm,
    TimelineForm,
    UnlinkForm,
)
from kehu.incidents.models import MajorIncident

PAGE_SIZE = 100


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    authorize(request.user, VIEW, MajorIncident)
    form = FilterForm(request.GET or None)
    filters = filters_from(form, _incident_filters, selectors.IncidentFilters())
    return list_page(
        request,
        selectors.incident_list(filters),
        name="incidents",
        template="incidents/incident_list.html",
        rows_template="incidents/_incident_rows.html",
        page_size=PAGE_SIZE,
        form=form,
        can_add=can(request.user, ADD, MajorIncident),
    )


def _incident_filters(data: dict[str, Any]) -> selectors.IncidentFilters:
    return selectors.IncidentFilters(q=data["q"], status=data["status"], severity=data["severity"])


@login_required
@require_http_methods(["GET", "POST"])
def incident_declare(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, MajorIncident)
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_declare(
                services.NewIncident(
                    title=data["title"],
                    description=data["description"],
                    severity=data["severity"],
                    commander=data["commander"],
                    response_departments=list(data["response_departments"]),
                    response_members=list(data["response_members"]),
                    tickets=data.get("tickets") or [],
                ),
                actor=request.user,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("%(incident)s was declared.") % {"incident": incident})
            return redirect("incidents:detail", incident.pk)
    return render(request, "incidents/incident_form.html", {"form": form, "incident": None})


@login_required
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    incident = access_object(request.user, MajorIncident, pk, action=CHANGE)
    form = IncidentForm(request.POST or None, instance=incident)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_update(
                MajorIncident.objects.get(pk=pk),
                actor=request.user,
                expected_version=data["version"],
                changes={name: data[name] for name in IncidentForm.Meta.fields},
            )
        except StaleVersionError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_model_errors(form, exc)
            status = 422
        else:
            messages.success(request, _("%(incident)s was saved.") % {"incident": incident})
            return redirect("incidents:detail", pk)
    return render(
        request,
        "incidents/incident_form.html",
        {"form": form, "incident": MajorIncident.objects.get(pk=pk)},
        status=status,
    )


def _detail(
    request: HttpRequest, incident: MajorIncident, status: int = 200, **forms: BaseForm
) -> HttpResponse:
    incident = selectors.incident_detail().get(pk=incident.pk)
    can_change = can(request.user, CHANGE, incident) and not incident.is_closed
    context: dict[str, Any] = {
        "incident": incident,
        "can_change": can_change,
        "status_form": StatusForm(initial={"status": incident.status, "version": incident.version}),
        "link_form": LinkForm(),
        "timeline_form": TimelineForm(),
        "notify_form": NotifyForm(),
        "review_form": ReviewForm(instance=incident),
        "history": history_rows(incident),
    }
    context.update(forms)
    return render(request, "incidents/incident_detail.html", context, status=status)


_act = ObjectActions(MajorIncident, _detail, "incidents:detail")


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_object(request.user, MajorIncident, pk))


@login_required
def incident_status(request: HttpRequest, pk: int) -> HttpResponse:
    def run(incident: MajorIncident, data: dict[str, Any]) -> MajorIncident:
        changes = {"status": data["status"]}
        return services.incident_update(
            incident, actor=request.user, expected_version=data["version"], changes=changes
        )

    return _act(request, pk, lambda incident: StatusForm(request.POST), "status_form", run)


@login_required
def incident_link(request: HttpRequest, pk: int) -> HttpResponse:
    def run(incident: MajorIncident, data: dict[str, Any]) -> Any:
        tickets = data["tickets"]
        return services.incident_link_tickets(incident, actor=request.user, tickets=tickets)

    def message(linked: Any) -> str:
        count = len(linked)
        text = ngettext("%(count)d ticket was linked.", "%(count)d tickets were linked.", count)
        return text % {"count": count}

    form = lambda incident: LinkForm(request.POST)  # noqa: E731
    return _act(request, pk, form, "link_form", run, message=message)


@login_required
def incident_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    incident = post_action_target(request, MajorIncident, pk)
    if isinstance(incident, HttpResponse):
        return incident
    form = UnlinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a linked ticket to unlink."))
        return redirect("incidents:detail", pk)
    try:
        services.incident_unlink_ticket(
            incident, actor=request.user, ticket=form.cleaned_data["ticket"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("incidents:detail", pk)


@login_required
def incident_timeline_add(request: HttpRequest, pk: int) -> HttpResponse:
    def run(incident: MajorIncident, data: dict[str, Any]) -> Any:
        at = data["at"]
        return services.timeline_add(
            incident,
            actor=request.user,
            kind=data["kind"],
            text=data["text"],
            at=timezone.make_aware(at) if at is not None and timezone.is_naive(at) else at,
        )

    form = lambda incident: TimelineForm(request.POST)  # noqa: E731
    return _act(request, pk, form, "timeline_form", run, anchor="#timeline")


@login_required
def incident_notify(request: HttpRequest, pk: int) -> HttpResponse:
    def run(incident: MajorIncident, data: dict[str, Any]) -> None:
        result = services.incident_notify(incident, actor=request.user, text=data["text"])
        if result.posted:
            messages.success(
                request,
                ngettext(
                    "The notice was posted on %(count)d ticket.",
                    "The notice was posted on %(count)d tickets.",
                    len(result.posted),
                )
                % {"count": len(result.posted)},
            )
        else:
            messages.info(
                request,
                _(
                    "Nothing was posted: every linked open ticket already has this notice "
                    "(%(count)d), or none is open."
                )
                % {"count": result.already_notified},
            )

    return _act(request, pk, lambda incident: NotifyForm(request.POST), "notify_form", run)


@login_required
def incident_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the review as a draft, or close the incident with it (``close`` in the POST)."""

    def run(incident: MajorIncident, data: dict[str, Any]) -> None:
        review = {name: data[name] for name in ReviewForm.Meta.fields}
        version = data["version"]
        if "close" in request.POST:
            services.incident_close(
                incident, actor=request.user, expected_version=version, review=review
            )
            messages.success(
                request, _("%(incident)s was closed with its review.") % {"incident": incident}
            )
        else:
            services.incident_update(
                incident, actor=request.user, expected_version=version, changes=review
            )
            messages.success(request, _("The review was saved."))

    form = lambda incident: ReviewForm(request.POST, instance=incident)  # noqa: E731
    return _act(request, pk, form, "review_form", run, anchor="#review")


@login_required
def account_incidents(request: HttpRequest, account_id: int) -> HttpResponse:
    authorize(request.user, VIEW, MajorIncident)
    account = access_object(request.user, Account, account_id)
    return render(request, "incidents/account_incidents.html", {"account": account})
