"""The requester's side: the customer portal and employees' internal requests.

Requesters see their tickets with public replies only; internal notes never reach these pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.access.models import Role
from kehu.access.permissions import VIEW, access_object, roles_of
from kehu.core.forms import apply_model_errors
from kehu.core.pages import said_action
from kehu.customers.rules import portal_contact
from kehu.desk.models import Channel, Message, Status, Ticket
from kehu.desk.rules import can_reply_as_requester, visible_tickets
from kehu.desk.sla.badges import badge
from kehu.desk.tickets import changes as ticket_changes
from kehu.desk.tickets import intake
from kehu.desk.tickets.forms import (
    InternalRequestForm,
    PortalTicketForm,
    RequesterReplyForm,
    service_for_request,
)
from kehu.desk.tickets.views import created_message


def _requester_tickets(request: HttpRequest) -> QuerySet[Ticket]:
    """Tickets this person asked for: their account's (customer) or their own (employee)."""
    contact = portal_contact(request.user)
    if contact is not None:
        return visible_tickets(request.user).filter(account_id=contact.account_id)
    employee = getattr(request.user, "employee", None)
    if employee is not None:
        return Ticket.objects.filter(requester_employee=employee)
    return Ticket.objects.none()


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    if not roles_of(request.user):
        raise PermissionDenied
    show = request.GET.get("show", "open")
    rows = _requester_tickets(request).select_related("department", "sla_policy")
    if show == "open":
        rows = rows.exclude(status=Status.CLOSED)
    return render(
        request,
        "portal/ticket_list.html",
        {
            "rows": [(t, badge(t)) for t in rows.order_by("-id")[:200]],
            "show": show,
            "can_submit": portal_contact(request.user) is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    contact = portal_contact(request.user)
    if contact is None:
        raise PermissionDenied
    form = PortalTicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = intake.create_ticket(
                intake.NewTicket(
                    subject=data["subject"],
                    body=data["body"],
                    department=intake.default_intake_department(),
                    channel=Channel.PORTAL,
                    ticket_type=data["ticket_type"],
                    impact=data["impact"],
                    severity=data["severity"],
                    contact=contact,
                    attachments=data["attachments"],
                ),
                actor=request.user,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, created_message(ticket))
            return redirect("portal:ticket-detail", ticket.pk)
    return render(request, "portal/ticket_form.html", {"form": form})


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(
        request.user, Ticket, pk, queryset=Ticket.objects.select_related("department")
    )
    if not can_reply_as_requester(request.user, ticket) and Role.CUSTOMER in roles_of(request.user):
        raise Http404
    public = (
        ticket.messages.exclude(kind=Message.Kind.INTERNAL)
        .select_related("author")
        .prefetch_related("attachments")
    )
    return render(
        request,
        "portal/ticket_detail.html",
        {
            "ticket": ticket,
            "messages_list": public,
            "badge": badge(ticket),
            "reply_form": RequesterReplyForm(),
            "may_reply": can_reply_as_requester(request.user, ticket)
            and ticket.status != Status.CLOSED,
        },
    )


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = access_object(request.user, Ticket, pk, action=VIEW)
    if not can_reply_as_requester(request.user, ticket):
        raise PermissionDenied
    form = RequesterReplyForm(request.POST, request.FILES)

    def run(data: dict[str, Any]) -> Any:
        return ticket_changes.add_message(
            ticket,
            actor=request.user,
            body=data["body"],
            from_requester=True,
            author_name=ticket.requester_name,
            attachments=data["attachments"],
        )

    return said_action(
        request,
        form,
        run,
        done=reverse("portal:ticket-detail", args=[ticket.pk]),
        invalid=_("Write a reply first."),
        success=_("Your reply was sent."),
    )


@login_required
@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    """The requester is satisfied: resolve (if needed) and close in one step."""
    ticket = access_object(request.user, Ticket, pk, action=VIEW)
    if not can_reply_as_requester(request.user, ticket):
        raise PermissionDenied
    try:
        if ticket.status != Status.RESOLVED:
            ticket = ticket_changes.change_status(ticket, Status.RESOLVED, actor=request.user)
        ticket_changes.change_status(ticket, Status.CLOSED, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The ticket was closed. Thank you!"))
    return redirect("portal:ticket-detail", ticket.pk)


@login_required
@require_http_methods(["GET", "POST"])
def internal_request(request: HttpRequest, service_id: int) -> HttpResponse:
    """An employee asks a department for a catalogued service."""
    employee = getattr(request.user, "employee", None)
    service = service_for_request(service_id)
    if service is None:
        raise Http404
    if employee is None:
        raise PermissionDenied
    form = InternalRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = intake.create_ticket(
                intake.NewTicket(
                    subject=data["subject"],
                    body=data["body"],
                    department=service.department,
                    service=service,
                    channel=Channel.INTERNAL,
                    ticket_type="service_request",
                    impact=data["impact"],
                    severity=data["severity"],
                    requester_employee=employee,
                    attachments=data["attachments"],
                ),
                actor=request.user,
            )
        except ValidationError as exc:
            apply_model_errors(form, exc)
        else:
            messages.success(request, created_message(ticket))
            return redirect("portal:ticket-detail", ticket.pk)
    return render(request, "portal/internal_request.html", {"form": form, "service": service})
