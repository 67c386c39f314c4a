"""Staff pages of major incidents: list, declare, edit, the incident page and its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize, can
from kehu.audit.selectors import history_rows
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors, post_action_target, refused_form
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
    filters = selectors.IncidentFilters()
    if form.is_valid():
        filters = selectors.IncidentFilters(
            q=form.cleaned_data["q"],
            status=form.cleaned_data["status"],
            severity=form.cleaned_data["severity"],
        )
    rows = list(selectors.incident_list(filters)[: PAGE_SIZE + 1])
    context = {
        "form": form,
        "incidents": rows[:PAGE_SIZE],
        "more": len(rows) > PAGE_SIZE,
        "can_add": can(request.user, ADD, MajorIncident),
    }
    template = "incidents/_incident_rows.html" if request.htmx else "incidents/incident_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


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


@login_required
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, access_object(request.user, MajorIncident, pk))


def _action(request: HttpRequest, pk: int) -> MajorIncident | HttpResponse:
    return post_action_target(request, MajorIncident, pk)


def _refused(
    request: HttpRequest,
    incident: MajorIncident,
    form: BaseForm,
    name: str,
    exc: StaleVersionError | ValidationError,
) -> HttpResponse:
    return refused_form(_detail, request, incident, form, name, exc)


@login_required
def incident_status(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, 422, status_form=form)
    try:
        services.incident_update(
            incident,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            changes={"status": form.cleaned_data["status"]},
        )
    except (StaleVersionError, ValidationError) as exc:
        return _refused(request, incident, form, "status_form", exc)
    return redirect("incidents:detail", pk)


@login_required
def incident_link(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, 422, link_form=form)
    try:
        linked = services.incident_link_tickets(
            incident, actor=request.user, tickets=form.cleaned_data["tickets"]
        )
    except ValidationError as exc:
        return _refused(request, incident, form, "link_form", exc)
    messages.success(
        request,
        ngettext("%(count)d ticket was linked.", "%(count)d tickets were linked.", len(linked))
        % {"count": len(linked)},
    )
    return redirect("incidents:detail", pk)


@login_required
def incident_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _action(request, pk)
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
    incident = _action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    form = TimelineForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, 422, timeline_form=form)
    at = form.cleaned_data["at"]
    try:
        services.timeline_add(
            incident,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            text=form.cleaned_data["text"],
            at=timezone.make_aware(at) if at is not None and timezone.is_naive(at) else at,
        )
    except ValidationError as exc:
        return _refused(request, incident, form, "timeline_form", exc)
    return redirect(reverse("incidents:detail", args=[pk]) + "#timeline")


@login_required
def incident_notify(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    form = NotifyForm(request.POST)
    if not form.is_valid():
        return _detail(request, incident, 422, notify_form=form)
    try:
        result = services.incident_notify(
            incident, actor=request.user, text=form.cleaned_data["text"]
        )
    except ValidationError as exc:
        return _refused(request, incident, form, "notify_form", exc)
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
    return redirect("incidents:detail", pk)


@login_required
def incident_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the review as a draft, or close the incident with it (``close`` in the POST)."""
    incident = _action(request, pk)
    if isinstance(incident, HttpResponse):
        return incident
    form = ReviewForm(request.POST, instance=incident)
    if not form.is_valid():
        return _detail(request, incident, 422, review_form=form)
    review = {name: form.cleaned_data[name] for name in ReviewForm.Meta.fields}
    version = form.cleaned_data["version"]
    try:
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
    except (StaleVersionError, ValidationError) as exc:
        return _refused(request, incident, form, "review_form", exc)
    return redirect(reverse("incidents:detail", args=[pk]) + "#review")


@login_required
def account_incidents(request: HttpRequest, account_id: int) -> HttpResponse:
    authorize(request.user, VIEW, MajorIncident)
    account = access_object(request.user, Account, account_id)
    return render(request, "incidents/account_incidents.html", {"account": account})
