"""Ticket pages for staff: queue, intake, the ticket itself, bulk actions, lead dashboard."""

from __future__ import annotations

import logging
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.models import User
from kehu.access.permissions import (
    ADD,
    CHANGE,
    VIEW,
    access_object,
    authorize,
    can,
    is_admin,
    led_departments,
    require_staff,
)
from kehu.audit.selectors import history_rows
from kehu.core.concurrency import StaleVersionError
from kehu.core.forms import apply_model_errors
from kehu.desk import queues, tickets
from kehu.desk.models import Attachment, SavedView, Status, Ticket, Transfer
from kehu.desk.rules import may_direct, sees_internal, visible_messages, visible_tickets
from kehu.desk.ticket_forms import (
    DisputeForm,
    LinkForm,
    MergeForm,
    MessageForm,
    QueueFilterForm,
    SavedViewForm,
    StaffTicketForm,
    TicketUpdateForm,
    TransferForm,
)
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
            "rows": list(zip(page.rows, queues.badges(page.rows), strict=True)),
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
                tickets.change_status(ticket, status, actor=request.user)
            if assign_to_me and employee is not None:
                ticket.refresh_from_db()
                tickets.update_ticket(
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
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    authorize(request.user, ADD, Ticket)
    form = StaffTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = tickets.create_ticket(
                tickets.NewTicket(
                    subject=data["subject"],
                    body=data["body"],
                    department=data["department"],
                    channel=data["channel"],
                    ticket_type=data["ticket_type"],
                    category=data["category"],
                    impact=data["impact"],
                    severity=data["severity"],
                    priority=data["priority"] or None,
                    priority_reason=data["priority_reason"],
                    contact=data["contact"],
                    requester_employee=data["requester_employee"],
                    tags=data["tags"],
                    attachments=data["attachments"],
                ),
                actor=request.user,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _created_message(ticket))
            return redirect("desk:ticket-detail", ticket.pk)
    return render(request, "desk/ticket_form.html", {"form": form})


def _created_message(ticket: Ticket) -> str:
    first = ticket.clocks.filter(target="first_response").first()
    if first is not None and first.due_at is not None:
        from django.utils import formats, timezone

        return _("%(ref)s was created. A first response is promised by %(due)s.") % {
            "ref": ticket.reference,
            "due": formats.date_format(timezone.localtime(first.due_at), "DATETIME_FORMAT"),
        }
    return _("%(ref)s was created.") % {"ref": ticket.reference}


def _ticket_queryset() -> Any:
    return Ticket.objects.select_related(
        "department",
        "category",
        "service",
        "account",
        "contact",
        "requester_employee",
        "requesting_department",
        "assignee",
        "sla_policy",
        "merged_into",
    ).prefetch_related("tags", "watchers", "clocks")


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, queryset=_ticket_queryset())
    if not sees_internal(request.user, ticket):
        # Customers and requesters use the portal view, which never shows internal notes.
        return redirect("portal:ticket-detail", ticket.pk)
    return render(request, "desk/ticket_detail.html", _detail_context(request, ticket))


def _detail_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    can_change = can(request.user, CHANGE, ticket)
    transfers = list(
        ticket.transfers.select_related("from_department", "to_department", "by", "dispute")
    )
    return {
        "ticket": ticket,
        "messages_list": visible_messages(request.user, ticket),
        "clocks": queues.clock_views(ticket),
        "badge": queues.badge(ticket, clocks=list(ticket.clocks.all())),
        "can_change": can_change,
        "update_form": forms.get("update_form") or TicketUpdateForm(ticket=ticket),
        "message_form": forms.get("message_form") or MessageForm(),
        "transfer_form": forms.get("transfer_form") or TransferForm(),
        "link_form": LinkForm(),
        "merge_form": MergeForm(),
        "dispute_form": DisputeForm(),
        "may_direct": may_direct(request.user),
        "links": list(ticket.links_out.select_related("target"))
        + list(ticket.links_in.select_related("source")),
        "transfers": transfers,
        "is_watching": ticket.watchers.filter(pk=_user(request).pk).exists(),
        "incidents": ticket.major_incidents.all(),
        "history": history_rows(ticket),
    }


@login_required
@require_POST
def ticket_update(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, action=CHANGE, queryset=_ticket_queryset())
    form = TicketUpdateForm(request.POST, ticket=ticket)
    status = 200
    if form.is_valid():
        try:
            tickets.update_ticket(
                ticket,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
                tags=form.cleaned_data["tags"],
            )
        except StaleVersionError as exc:
            form.add_error(None, str(exc))
            status = 409
        except ValidationError as exc:
            apply_model_errors(form, exc)
            status = 400
        else:
            messages.success(request, _("%(object)s was saved.") % {"object": ticket.reference})
            return redirect("desk:ticket-detail", ticket.pk)
    else:
        status = 400
    return render(
        request,
        "desk/ticket_detail.html",
        _detail_context(request, ticket, update_form=form),
        status=status,
    )


@login_required
@require_POST
def ticket_reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, action=CHANGE, queryset=_ticket_queryset())
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            tickets.add_message(
                ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                attachments=form.cleaned_data["attachments"],
                new_status=form.cleaned_data["new_status"] or None,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            return redirect("desk:ticket-detail", ticket.pk)
    return render(
        request,
        "desk/ticket_detail.html",
        _detail_context(request, ticket, message_form=form),
        status=400,
    )


@login_required
@require_POST
def ticket_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, action=CHANGE, queryset=_ticket_queryset())
    form = TransferForm(request.POST)
    if form.is_valid():
        directed = form.cleaned_data["directed"]
        if directed and not may_direct(request.user):
            raise PermissionDenied
        try:
            tickets.transfer(
                ticket,
                actor=request.user,
                to_department=form.cleaned_data["to_department"],
                reason=form.cleaned_data["reason"],
                directed=directed,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, _("The ticket was moved."))
            return redirect("desk:ticket-detail", ticket.pk)
    return render(
        request,
        "desk/ticket_detail.html",
        _detail_context(request, ticket, transfer_form=form),
        status=400,
    )


@login_required
@require_POST
def transfer_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    record = Transfer.objects.select_related("ticket").filter(pk=pk).first()
    if record is None or not can(request.user, VIEW, record.ticket):
        raise Http404
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            tickets.file_dispute(record, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The dispute was filed."))
    else:
        messages.error(request, _("Say why the direction was wrong."))
    return redirect("desk:ticket-detail", record.ticket_id)


@login_required
@require_POST
def ticket_link(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, action=CHANGE)
    form = LinkForm(request.POST)
    if form.is_valid():
        other = visible_tickets(request.user).filter(pk=form.cleaned_data["target"]).first()
        if other is None:
            messages.error(request, _("No such ticket."))
        else:
            try:
                tickets.link(ticket, other, kind=form.cleaned_data["kind"], actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, " ".join(str(e) for e in form.errors.get("target", [])))
    return redirect("desk:ticket-detail", ticket.pk)


@login_required
@require_POST
def ticket_merge(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, action=CHANGE)
    form = MergeForm(request.POST)
    if form.is_valid():
        target = visible_tickets(request.user).filter(pk=form.cleaned_data["into"]).first()
        if target is None or not can(request.user, CHANGE, target):
            messages.error(request, _("No such ticket."))
        else:
            try:
                tickets.merge(ticket, target, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Merged into %(ref)s.") % {"ref": target.reference})
                return redirect("desk:ticket-detail", target.pk)
    else:
        messages.error(request, _("Enter a ticket reference such as KH-123."))
    return redirect("desk:ticket-detail", ticket.pk)


@login_required
@require_POST
def ticket_watch(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk)
    if request.POST.get("watch") == "0":
        ticket.watchers.remove(_user(request))
    else:
        ticket.watchers.add(_user(request))
    return redirect("desk:ticket-detail", ticket.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = access_object(
        request.user,
        Attachment,
        pk,
        queryset=Attachment.objects.select_related("message", "ticket"),
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        # The row outlived its file (restored database without the attachment directory).
        log.error("attachment %s: file %s is missing", attachment.pk, attachment.file.name)
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachment.content_type
        if attachment.content_type.startswith("image/")
        else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


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
