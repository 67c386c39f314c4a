"""Ticket pages for staff: intake and the ticket itself (the queue is in ``desk.queues``)."""

from __future__ import annotations

import logging
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    require_staff,
)
from kehu.audit.selectors import history_rows
from kehu.core.forms import apply_model_errors
from kehu.core.pages import said_action, try_save
from kehu.desk.models import Attachment, Ticket, Transfer
from kehu.desk.rules import may_direct, sees_internal, visible_messages, visible_tickets
from kehu.desk.sla import badges as sla_badges
from kehu.desk.tickets import assignment, intake
from kehu.desk.tickets import changes as ticket_changes
from kehu.desk.tickets.forms import (
    DisputeForm,
    LinkForm,
    MergeForm,
    MessageForm,
    StaffTicketForm,
    TicketUpdateForm,
    TransferForm,
)

log = logging.getLogger(__name__)


def _user(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast(User, request.user)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    require_staff(request.user)
    authorize(request.user, ADD, Ticket)
    form = StaffTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = intake.create_ticket(
                intake.NewTicket(
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
            messages.success(request, created_message(ticket))
            return redirect("desk:ticket-detail", ticket.pk)
    return render(request, "desk/ticket_form.html", {"form": form})


def created_message(ticket: Ticket) -> str:
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
        "clocks": sla_badges.clock_views(ticket),
        "badge": sla_badges.badge(ticket, clocks=list(ticket.clocks.all())),
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
    status = 400
    if form.is_valid():

        def save() -> Any:
            return ticket_changes.update_ticket(
                ticket,
                actor=request.user,
                expected_version=form.cleaned_data["version"],
                changes=form.changes(),
                tags=form.cleaned_data["tags"],
            )

        refused = try_save(form, save, invalid=400)
        if refused is None:
            messages.success(request, _("%(object)s was saved.") % {"object": ticket.reference})
            return redirect("desk:ticket-detail", ticket.pk)
        status = refused
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
            ticket_changes.add_message(
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
            assignment.transfer(
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

    def run(data: dict[str, Any]) -> Any:
        return assignment.file_dispute(record, actor=request.user, reason=data["reason"])

    return said_action(
        request,
        DisputeForm(request.POST),
        run,
        done=reverse("desk:ticket-detail", args=[record.ticket_id]),
        invalid=_("Say why the direction was wrong."),
        success=_("The dispute was filed."),
    )


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
                ticket_changes.link(
                    ticket, other, kind=form.cleaned_data["kind"], actor=request.user
                )
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
                ticket_changes.merge(ticket, target, actor=request.user)
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
