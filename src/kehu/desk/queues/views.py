"""The agent's queue (filters, saved views, bulk actions) and the lead's dashboard."""

from __future__ import annotations

import logging
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.access.models import User
from kehu.access.permissions import (
    ADD,
    CHANGE,
    access_object,
    authorize,
    can,
    is_admin,
    led_departments,
    require_staff,
)
from kehu.core.concurrency import StaleVersionError
from kehu.desk.models import SavedView, Status
from kehu.desk.queues import selectors as queues
from kehu.desk.queues.forms import QueueFilterForm, SavedViewForm
from kehu.desk.rules import visible_tickets
from kehu.desk.sla import badges as sla_badges
from kehu.desk.tickets import changes as ticket_changes
from kehu.org.selectors import department_descendant_ids

BULK_LIMIT = 200
log = logging.getLogger(__name__)


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast(User, request.user)


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = queues.queue_page(
        queues.queue(request.user, filters), filters.get("sort") or "due", request.GET.get("after")
    )
    next_query = None
    if page.next_cursor:
        query = request.GET.copy()
        query["after"] = page.next_cursor
        next_query = query.urlencode()
    saved_views = SavedView.objects.filter(owner=_user(request)) | SavedView.objects.filter(
        shared=True
    )
    return render(
        request,
        "desk/ticket_list.html",
        {
            "form": form,
            "rows": list(zip(page.rows, sla_badges.badges(page.rows), strict=True)),
            "next_query": next_query,
            "first_query": _without_cursor(request),
            "saved_views": saved_views.select_related("owner").distinct(),
            "save_form": SavedViewForm(initial={"query": request.GET.urlencode()}),
            "bulk_statuses": Status.choices,
        },
    )


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    authorize(request.user, ADD, SavedView)
    form = SavedViewForm(request.POST)
    if form.is_valid():
        query = QueryDict(form.cleaned_data["query"])
        if not QueueFilterForm(query).is_valid():
            messages.error(request, _("This filter cannot be saved."))
            return redirect("desk:ticket-list")
        view = SavedView.objects.create(
            owner=_user(request),
            name=form.cleaned_data["name"],
            query=query.urlencode(),
            shared=form.cleaned_data["shared"],
        )
        messages.success(request, _("%(object)s was saved.") % {"object": view})
        return redirect(f"{_queue_url()}?{view.query}")
    messages.error(request, _("Give the view a name."))
    return redirect("desk:ticket-list")


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = access_object(request.user, SavedView, pk, action=CHANGE)
    view.delete()
    messages.success(request, _("%(object)s was deleted.") % {"object": view})
    return redirect("desk:ticket-list")


def _without_cursor(request: HttpRequest) -> str | None:
    if "after" not in request.GET:
        return None
    query = request.GET.copy()
    del query["after"]
    return query.urlencode()


def _queue_url() -> str:
    from django.urls import reverse

    return reverse("desk:ticket-list")


@login_required
@require_POST
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    try:
        ids = [int(v) for v in request.POST.getlist("ids")][:BULK_LIMIT]
    except ValueError:
        ids = []
    status = request.POST.get("status") or ""
    assign_to_me = request.POST.get("assign") == "me"
    if not ids or not (status or assign_to_me):
        messages.error(request, _("Select tickets and an action."))
        return redirect(request.POST.get("next") or "desk:ticket-list")
    done, failed = 0, []
    employee = getattr(request.user, "employee", None)
    for ticket in visible_tickets(request.user).filter(pk__in=ids):
        if not can(request.user, CHANGE, ticket):
            failed.append(f"{ticket.reference}: {_('not allowed')}")
            continue
        try:
            if status:
                ticket_changes.change_status(ticket, status, actor=request.user)
            if assign_to_me and employee is not None:
                ticket.refresh_from_db()
                ticket_changes.update_ticket(
                    ticket,
                    actor=request.user,
                    expected_version=ticket.version,
                    changes={"assignee": employee},
                )
            done += 1
        except (ValidationError, StaleVersionError) as exc:
            failed.append(f"{ticket.reference}: {_message_of(exc)}")
    if done:
        messages.success(request, _("%(count)s tickets updated.") % {"count": done})
    for line in failed:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "desk:ticket-list")


def _message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@login_required
def lead_dashboard(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    scope = (
        None if is_admin(request.user) else department_descendant_ids(led_departments(request.user))
    )
    if scope is not None and not scope:
        employee = getattr(request.user, "employee", None)
        scope = frozenset({employee.department_id}) if employee else frozenset()
    board = queues.lead_dashboard(request.user, scope)
    return render(
        request,
        "desk/lead_dashboard.html",
        {
            "board": board,
            "queue_url": _queue_url(),
            "overdue_query": urlencode({"sla": "breached"}),
        },
    )
