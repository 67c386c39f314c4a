"""REST endpoints for tickets (mounted at /api/desk/tickets); the schemas are in ``schemas``.

Each endpoint parses, authorizes through ``kehu.access.permissions``, calls one service of
``kehu.desk.tickets`` or ``kehu.desk.tickets.actions`` and renders; the rules live there.
"""

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.errors import HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.pagination import CursorPagination, paginate

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.desk.models import (
    Attachment,
    Dispute,
    Message,
    Ticket,
    Transfer,
)
from kehu.desk.rules import visible_messages
from kehu.desk.tickets import actions as ticket_actions
from kehu.desk.tickets import assignment
from kehu.desk.tickets import changes as ticket_changes
from kehu.desk.tickets import selectors as ticket_selectors
from kehu.desk.tickets.schemas import (
    BulkIn,
    BulkOut,
    DecisionIn,
    DisputeIn,
    DisputeOut,
    LinkIn,
    LinkOut,
    MergeIn,
    MessageIn,
    MessageOut,
    TicketDetailOut,
    TicketFilterIn,
    TicketIn,
    TicketOut,
    TicketPatch,
    TransferIn,
    TransferOut,
    WatcherIn,
)

log = logging.getLogger(__name__)
router = Router(tags=["tickets"])


# --- list and read -----------------------------------------------------------------------------


class TicketPagination(OrderedCursorPagination):
    """Cursor pagination over the public ordering names of ``ticket_selectors.ORDERINGS``."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        chosen = pagination.ordering or self.orderings[0]
        name = chosen.lstrip("-")
        if name not in ticket_selectors.ORDERINGS or chosen.count("-") > 1:
            raise ValidationError(
                [
                    {
                        "loc": ("query", "ordering"),
                        "msg": f"Order by one of: {', '.join(ticket_selectors.ORDERINGS)}",
                    }
                ]
            )
        column = ticket_selectors.ORDERINGS[name]
        inner = CursorPagination(
            ordering=(f"-{column}" if chosen.startswith("-") else column, "pk"),
            page_size=self.page_size,
            max_page_size=self.max_page_size,
        )
        try:
            return inner.paginate_queryset(queryset, pagination, request, **params)
        except (ValueError, TypeError, DjangoValidationError) as exc:
            # A hand-made cursor whose position does not fit the ordering column.
            raise ValidationError(
                [{"loc": ("query", "cursor"), "msg": _("This cursor is not valid.")}]
            ) from exc


def _visible(request: HttpRequest, pk: int, action: str = VIEW) -> Ticket:
    return access_object(request.user, Ticket, pk, action=action)


def _detail(request: HttpRequest, pk: int) -> Ticket:
    ticket = ticket_selectors.ticket_detail(request.user).get(pk=pk)
    return ticket_selectors.shown_to(request.user, ticket)


@router.get("", response=list[TicketOut], summary="Tickets you may see, filtered and sorted")
@paginate(TicketPagination, orderings=("-id", *ticket_selectors.ORDERINGS))
def ticket_list(request: HttpRequest, filters: Query[TicketFilterIn]) -> Any:
    authorize(request.user, VIEW, Ticket)
    return ticket_selectors.ticket_list(
        request.user,
        ticket_selectors.TicketFilters(
            status=[s.value for s in filters.status],
            ticket_type=[t.value for t in filters.ticket_type],
            priority=[p.value for p in filters.priority],
            department_id=filters.department_id,
            assignee_id=filters.assignee_id,
            account_id=filters.account_id,
            tag=filters.tag,
            breached=filters.breached,
            created_after=filters.created_after,
            created_before=filters.created_before,
            q=filters.q or "",
        ),
    )


@router.get(
    "/{int:pk}",
    response={200: TicketDetailOut, **ERRORS},
    summary="One ticket with its SLA clocks (ETag carries the version)",
)
def ticket_get(request: HttpRequest, pk: int, response: HttpResponse) -> Any:
    _visible(request, pk)
    ticket = _detail(request, pk)
    response["ETag"] = f'W/"{ticket.version}"'
    return ticket


@router.post(
    "",
    response={201: TicketDetailOut, **ERRORS},
    summary="Open a ticket: staff for a contact or employee, a customer or employee for themselves",
)
def ticket_create(request: HttpRequest, payload: TicketIn) -> Any:
    ticket = ticket_actions.open_ticket(
        request.user,
        ticket_actions.TicketRequest(
            subject=payload.subject,
            body=payload.body,
            ticket_type=payload.ticket_type.value,
            impact=payload.impact.value,
            severity=payload.severity.value,
            department_id=payload.department_id,
            category_id=payload.category_id,
            service_id=payload.service_id,
            contact_id=payload.contact_id,
            requester_employee_id=payload.requester_employee_id,
            channel=payload.channel,
            priority=payload.priority.value if payload.priority else None,
            priority_reason=payload.priority_reason,
            assignee_id=payload.assignee_id,
            tags=payload.tags,
            custom_values=payload.custom_values,
        ),
    )
    return Status(201, _detail(request, ticket.pk))


# Fields that cannot be emptied: a null for them means "leave as is".
_NOT_NULL = ("subject", "ticket_type", "impact", "severity", "priority", "status")


@router.patch(
    "/{int:pk}",
    response={200: TicketDetailOut, **ERRORS},
    summary="Change a ticket (send the version you read; 409 if it moved on, nothing changed)",
)
def ticket_update(request: HttpRequest, pk: int, payload: TicketPatch) -> Any:
    ticket = _visible(request, pk, CHANGE)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    tags = data.pop("tags", None)
    changes = {
        name: value.value if hasattr(value, "value") else value
        for name, value in data.items()
        if not (name in _NOT_NULL and value is None)
    }
    if changes.get("priority_reason") is None:
        changes.pop("priority_reason", None)
    ticket_actions.edit_ticket(
        ticket, actor=request.user, expected_version=version, changes=changes, tags=tags
    )
    return _detail(request, pk)


# --- conversation ------------------------------------------------------------------------------


@router.get(
    "/{int:pk}/messages",
    response={200: list[MessageOut], **ERRORS},
    summary="The conversation (internal notes only for the people who work the ticket)",
)
def message_list(request: HttpRequest, pk: int) -> Any:
    ticket = _visible(request, pk)
    return list(visible_messages(request.user, ticket)[:2000])


@router.post(
    "/{int:pk}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Reply or add an internal note (multipart, with attachments)",
)
def message_create(
    request: HttpRequest,
    pk: int,
    payload: Form[MessageIn],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    ticket = _visible(request, pk)
    message = ticket_actions.post_message(
        ticket,
        actor=request.user,
        body=payload.body,
        kind=payload.kind,
        on_behalf_of_requester=payload.on_behalf_of_requester,
        attachments=attachments or [],
    )
    return Status(201, Message.objects.prefetch_related("attachments").get(pk=message.pk))


@router.get(
    "/attachments/{int:pk}",
    response={200: None, **ERRORS},
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file",
                "content": {"application/octet-stream": {"schema": {"type": "string"}}},
            }
        }
    },
)
def attachment_download(request: HttpRequest, pk: int) -> Any:
    attachment = access_object(
        request.user,
        Attachment,
        pk,
        queryset=Attachment.objects.select_related("message", "ticket"),
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        # The row outlived its file (a database restored without the attachment directory).
        log.error("attachment %s: file %s is missing", attachment.pk, attachment.file.name)
        raise Http404 from exc
    # Always a download, never rendered: an uploaded HTML or SVG must not run in our origin.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


# --- actions -----------------------------------------------------------------------------------


def _transfer(request: HttpRequest, pk: int, payload: TransferIn, *, directed: bool) -> Any:
    ticket = _visible(request, pk, CHANGE)
    record = ticket_actions.transfer_ticket(
        ticket,
        actor=request.user,
        to_department_id=payload.to_department_id,
        reason=payload.reason,
        directed=directed,
    )
    return Status(201, record)


@router.post(
    "/{int:pk}/transfer",
    response={201: TransferOut, **ERRORS},
    summary="Move the ticket to another department's queue",
)
def ticket_transfer(request: HttpRequest, pk: int, payload: TransferIn) -> Any:
    return _transfer(request, pk, payload, directed=False)


@router.post(
    "/{int:pk}/direct",
    response={201: TransferOut, **ERRORS},
    summary="Direct the ticket to the department judged fastest (after-sales advocates)",
)
def ticket_direct(request: HttpRequest, pk: int, payload: TransferIn) -> Any:
    return _transfer(request, pk, payload, directed=True)


@router.post(
    "/{int:pk}/transfers/{int:transfer_id}/dispute",
    response={201: DisputeOut, **ERRORS},
    summary="Dispute a directed transfer (the receiving department, after working the ticket)",
)
def transfer_dispute(request: HttpRequest, pk: int, transfer_id: int, payload: DisputeIn) -> Any:
    ticket = _visible(request, pk)
    transfer = Transfer.objects.filter(ticket=ticket, pk=transfer_id).first()
    if transfer is None:
        raise Http404
    authorize(request.user, ADD, Dispute(transfer=transfer))
    try:
        dispute = assignment.file_dispute(transfer, actor=request.user, reason=payload.reason)
    except assignment.DisputeRefused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, dispute)


@router.post(
    "/{int:pk}/disputes/{int:dispute_id}/decision",
    response={200: DisputeOut, **ERRORS},
    summary="Uphold or dismiss a dispute (send its version; 409 if it moved on)",
)
def dispute_decide(request: HttpRequest, pk: int, dispute_id: int, payload: DecisionIn) -> Any:
    ticket = _visible(request, pk)
    dispute = access_object(
        request.user,
        Dispute,
        dispute_id,
        action=CHANGE,
        queryset=Dispute.objects.filter(transfer__ticket=ticket).select_related("transfer"),
    )
    try:
        return assignment.decide_dispute(
            dispute,
            actor=request.user,
            expected_version=payload.version,
            outcome=payload.outcome,
            note=payload.note,
        )
    except assignment.DisputeRefused as exc:
        raise HttpError(400, str(exc)) from exc


@router.post(
    "/{int:pk}/links",
    response={201: LinkOut, **ERRORS},
    summary="Link to another ticket (related, duplicate of, child of)",
)
def ticket_link(request: HttpRequest, pk: int, payload: LinkIn) -> Any:
    source = _visible(request, pk, CHANGE)
    target = _visible(request, payload.target_id)
    return Status(201, ticket_changes.link(source, target, kind=payload.kind, actor=request.user))


@router.post(
    "/{int:pk}/merge",
    response={200: TicketDetailOut, **ERRORS},
    summary="Merge this ticket into another; returns the ticket merged into",
)
def ticket_merge(request: HttpRequest, pk: int, payload: MergeIn) -> Any:
    source = _visible(request, pk, CHANGE)
    target = _visible(request, payload.into_id, CHANGE)
    ticket_changes.merge(source, target, actor=request.user)
    return _detail(request, target.pk)


@router.post(
    "/{int:pk}/watchers",
    response={204: None, **ERRORS},
    summary="Watch the ticket (yourself, or staff adding someone)",
)
def watcher_add(request: HttpRequest, pk: int, payload: WatcherIn) -> Any:
    ticket = _visible(request, pk)
    user_id = request.user.pk if payload.user_id is None else payload.user_id
    ticket_actions.watch(ticket, actor=request.user, user_id=int(user_id or 0))
    return Status(204, None)


@router.delete(
    "/{int:pk}/watchers/{int:user_id}",
    response={204: None, **ERRORS},
    summary="Stop watching (yourself, or staff removing someone)",
)
def watcher_remove(request: HttpRequest, pk: int, user_id: int) -> Any:
    ticket = _visible(request, pk)
    ticket_actions.unwatch(ticket, actor=request.user, user_id=user_id)
    return Status(204, None)


@router.post(
    "/bulk",
    response={200: BulkOut, **ERRORS},
    summary="Change many tickets; each is checked on its own and failures are listed",
)
def ticket_bulk(request: HttpRequest, payload: BulkIn) -> Any:
    authorize(request.user, VIEW, Ticket)
    data = payload.dict(exclude_unset=True)
    changes = {
        name: value.value if hasattr(value, "value") else value
        for name, value in data.items()
        if name in ("status", "assignee_id", "priority", "priority_reason")
        and not (name in ("status", "priority", "priority_reason") and value is None)
    }
    if not changes and not payload.add_tags and not payload.remove_tags:
        raise ValidationError([{"loc": ("body", "payload"), "msg": _("Nothing to change.")}])
    return ticket_actions.bulk_update(
        request.user,
        ids=payload.ids,
        changes=changes,
        add_tags=payload.add_tags,
        remove_tags=payload.remove_tags,
    )
