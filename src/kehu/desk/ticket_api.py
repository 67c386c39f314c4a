"""REST endpoints for tickets (mounted at /api/desk/tickets) and the per-department ticket setup:
categories, custom fields and queue settings (mounted at /api/desk).

Each endpoint parses, authorizes through ``kehu.access.permissions``, calls one service of
``kehu.desk.tickets`` or ``kehu.desk.ticket_actions`` and renders; the rules live there.
"""

import logging
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.files import UploadedFile
from ninja.pagination import CursorPagination, paginate
from pydantic import Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.core.services import object_create, object_delete, object_update
from kehu.desk import ticket_actions, ticket_selectors, tickets
from kehu.desk.models import (
    AssignmentStrategy,
    Attachment,
    Category,
    CustomField,
    DeskSettings,
    Dispute,
    Message,
    Target,
    Ticket,
    Transfer,
)
from kehu.desk.models import (
    Status as TicketStatus,
)
from kehu.desk.priority import Impact, Priority, Severity, TicketType
from kehu.desk.rules import is_customer, visible_messages
from kehu.org.models import Department

log = logging.getLogger(__name__)
router = Router(tags=["tickets"])
setup_router = Router(tags=["ticket setup"])

TagList = list[Annotated[str, Field(min_length=1, max_length=50)]]
CustomValues = dict[str, str | int | float | bool | None]


# --- schemas -----------------------------------------------------------------------------------
#
# Each output schema below is the desk's view. A customer (portal user) gets its own, smaller
# schema: the ``Customer…Out`` classes are the allow-list of what a customer may read, and the
# desk schemas serialise to exactly those fields when the request comes from a customer.


class CustomerSlaOut(Schema):
    next_due_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None


class CustomerPromiseOut(Schema):
    first_response_due_at: datetime | None
    first_response_minutes: int | None
    resolution_due_at: datetime | None
    resolution_minutes: int | None


class CustomerTicketOut(Schema):
    id: int
    reference: str
    subject: str
    ticket_type: str
    status: str
    channel: str
    department_id: int
    category_id: int | None
    service_id: int | None
    impact: str
    severity: str
    priority: str
    account_id: int | None
    contact_id: int | None
    requester_name: str
    merged_into_id: int | None
    sla: CustomerSlaOut
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerTicketDetailOut(CustomerTicketOut):
    promise: CustomerPromiseOut


class CustomerAttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str


class CustomerMessageOut(Schema):
    id: int
    kind: str
    author_name: str
    from_requester: bool
    body: str
    created_at: datetime
    attachments: list[CustomerAttachmentOut]


class AudienceSchema(Schema):
    """A desk schema that a customer receives as its ``customer_view`` (fields dropped)."""

    customer_view: ClassVar[type[Schema] | None] = None

    @model_serializer(mode="wrap")
    def _for_audience(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> Any:
        data = handler(self)
        view = type(self).customer_view
        request = (info.context or {}).get("request") if isinstance(info.context, dict) else None
        if view is None or request is None or not isinstance(data, dict):
            return data
        if not is_customer(request.user):
            return data
        return {name: value for name, value in data.items() if name in view.model_fields}


class SlaOut(AudienceSchema):
    customer_view: ClassVar[type[Schema] | None] = CustomerSlaOut

    policy_id: int | None
    policy_name: str | None
    next_due_at: datetime | None
    breached: bool
    escalation_level: int
    first_response_at: datetime | None
    resolved_at: datetime | None


class TicketOut(AudienceSchema):
    customer_view: ClassVar[type[Schema] | None] = CustomerTicketOut

    id: int
    reference: str
    subject: str
    ticket_type: str
    status: str
    channel: str
    department_id: int
    category_id: int | None
    service_id: int | None
    impact: str
    severity: str
    priority: str
    priority_reason: str
    account_id: int | None
    contact_id: int | None
    requester_employee_id: int | None
    requesting_department_id: int | None
    requester_name: str
    assignee_id: int | None
    merged_into_id: int | None
    tags: list[str]
    sla: SlaOut
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_sla(obj: Ticket) -> dict[str, Any]:
        return {
            "policy_id": obj.sla_policy_id,
            "policy_name": str(obj.sla_policy) if obj.sla_policy else None,
            "next_due_at": obj.next_due_at,
            "breached": obj.sla_breached,
            "escalation_level": obj.escalation_level,
            "first_response_at": obj.first_response_at,
            "resolved_at": obj.resolved_at,
        }


class ClockOut(Schema):
    target: str
    cycle: int
    target_minutes: int
    started_at: datetime
    due_at: datetime | None = Field(..., description="None while the clock is paused")
    stopped_at: datetime | None
    breached: bool


class PromiseOut(AudienceSchema):
    customer_view: ClassVar[type[Schema] | None] = CustomerPromiseOut

    first_response_due_at: datetime | None
    first_response_minutes: int | None = Field(
        ..., description="The policy's first-response target in business minutes"
    )
    resolution_due_at: datetime | None
    resolution_minutes: int | None


class DisputeOut(Schema):
    id: int
    transfer_id: int
    reason: str
    outcome: str
    decision_note: str
    filed_by_id: int | None
    decided_by_id: int | None
    version: int
    created_at: datetime


class TransferOut(Schema):
    id: int
    from_department_id: int
    to_department_id: int
    directed: bool
    reason: str
    by_id: int | None
    created_at: datetime
    dispute: DisputeOut | None

    @staticmethod
    def resolve_dispute(obj: Transfer) -> Dispute | None:
        try:
            return obj.dispute
        except Dispute.DoesNotExist:
            return None


class LinkOut(Schema):
    source_id: int
    target_id: int
    kind: str


class TicketDetailOut(TicketOut):
    customer_view: ClassVar[type[Schema] | None] = CustomerTicketDetailOut

    custom_values: dict[str, Any]
    promise: PromiseOut
    clocks: list[ClockOut]
    watcher_ids: list[int] = Field(..., description="Shown to the people who work the ticket")
    links: list[LinkOut] = Field(..., description="Shown to the people who work the ticket")
    transfers: list[TransferOut] = Field(..., description="Shown to the people who work the ticket")

    @staticmethod
    def resolve_promise(obj: Ticket) -> dict[str, Any]:
        first = [c for c in obj.clocks.all() if c.target == Target.FIRST_RESPONSE]
        resolution = [c for c in obj.clocks.all() if c.target == Target.RESOLUTION]
        return {
            "first_response_due_at": first[0].due_at if first else None,
            "first_response_minutes": first[0].target_minutes if first else None,
            "resolution_due_at": resolution[0].due_at if resolution else None,
            "resolution_minutes": resolution[0].target_minutes if resolution else None,
        }

    @staticmethod
    def resolve_clocks(obj: Ticket) -> list[Any]:
        return list(obj.clocks.all())

    @staticmethod
    def resolve_watcher_ids(obj: Ticket) -> list[int]:
        if not getattr(obj, "shown_internal", False):
            return []
        return [u.pk for u in obj.watchers.all()]

    @staticmethod
    def resolve_links(obj: Ticket) -> list[Any]:
        if not getattr(obj, "shown_internal", False):
            return []
        return [*obj.links_out.all(), *obj.links_in.all()]

    @staticmethod
    def resolve_transfers(obj: Ticket) -> list[Any]:
        if not getattr(obj, "shown_internal", False):
            return []
        return list(obj.transfers.all())


class TicketFilterIn(Schema):
    status: list[TicketStatus] = Field(default_factory=list, description="Repeat for several")
    ticket_type: list[TicketType] = Field(default_factory=list)
    priority: list[Priority] = Field(default_factory=list)
    department_id: int | None = None
    assignee_id: int | Literal["me", "none"] | None = Field(
        None, description='An employee id, "me" or "none" (unassigned)'
    )
    account_id: int | None = None
    tag: str | None = Field(None, max_length=50)
    breached: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = Field(None, max_length=100, description="Words of the subject, or KH-123")


class TicketIn(Schema):
    subject: str = Field(..., min_length=1, max_length=250)
    body: str = Field(..., min_length=1, max_length=100_000)
    ticket_type: TicketType = TicketType.QUESTION
    impact: Impact = Impact.INDIVIDUAL
    severity: Severity = Severity.MEDIUM
    department_id: int | None = Field(
        None, description="Staff: the handling department (portal tickets go to the intake desk)"
    )
    category_id: int | None = None
    service_id: int | None = Field(None, description="Employees: the catalogued service requested")
    contact_id: int | None = Field(None, description="Staff: the customer contact asking")
    requester_employee_id: int | None = Field(None, description="Staff: the employee asking")
    channel: Literal["web", "phone", "visit", "api"] | None = Field(
        None, description="Staff only (default api); portal and internal requests set their own"
    )
    priority: Priority | None = Field(None, description="Staff: override of the matrix")
    priority_reason: str = Field("", max_length=300)
    assignee_id: int | None = None
    tags: TagList = Field(default_factory=list, max_length=20)
    custom_values: CustomValues = Field(default_factory=dict)


class TicketPatch(Schema):
    version: int
    subject: str | None = Field(None, min_length=1, max_length=250)
    ticket_type: TicketType | None = None
    category_id: int | None = None
    impact: Impact | None = None
    severity: Severity | None = None
    priority: Priority | None = None
    priority_reason: str | None = Field(None, max_length=300)
    status: TicketStatus | None = None
    assignee_id: int | None = Field(None, description="null unassigns")
    tags: TagList | None = Field(None, max_length=20, description="Replaces the tags")
    custom_values: CustomValues | None = None


class MessageIn(Schema):
    body: str = Field(..., min_length=1, max_length=100_000)
    kind: Literal["public", "internal"] = Field(
        "public", description="Staff choose; requesters always write public replies"
    )
    on_behalf_of_requester: bool = Field(
        False, description="Staff logging what the requester said (a call, a visit)"
    )


class AttachmentOut(AudienceSchema):
    customer_view: ClassVar[type[Schema] | None] = CustomerAttachmentOut

    id: int
    filename: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return f"/api/desk/tickets/attachments/{obj.pk}"


class MessageOut(AudienceSchema):
    customer_view: ClassVar[type[Schema] | None] = CustomerMessageOut

    id: int
    kind: str
    author_id: int | None
    author_name: str
    from_requester: bool
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(obj: Message) -> list[Any]:
        return list(obj.attachments.all())


class TransferIn(Schema):
    to_department_id: int
    reason: str = Field(..., min_length=1, max_length=2000)


class DisputeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=4000)


class DecisionIn(Schema):
    version: int
    outcome: Literal["upheld", "dismissed"]
    note: str = Field("", max_length=4000)


class LinkIn(Schema):
    kind: Literal["related", "duplicate", "parent"]
    target_id: int


class MergeIn(Schema):
    into_id: int


class WatcherIn(Schema):
    user_id: int | None = Field(None, description="Default: yourself")


class BulkIn(Schema):
    ids: list[int] = Field(..., min_length=1, max_length=200)
    status: TicketStatus | None = None
    assignee_id: int | None = Field(None, description="Send null to unassign")
    priority: Priority | None = None
    priority_reason: str | None = Field(None, max_length=300)
    add_tags: TagList = Field(default_factory=list, max_length=20)
    remove_tags: TagList = Field(default_factory=list, max_length=20)


class FieldErrorOut(Schema):
    field: str
    message: str


class BulkFailureOut(Schema):
    id: int
    code: str
    message: str
    errors: list[FieldErrorOut]


class BulkOut(Schema):
    updated: list[int]
    failed: list[BulkFailureOut]


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
        dispute = tickets.file_dispute(transfer, actor=request.user, reason=payload.reason)
    except tickets.DisputeRefused as exc:
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
        return tickets.decide_dispute(
            dispute,
            actor=request.user,
            expected_version=payload.version,
            outcome=payload.outcome,
            note=payload.note,
        )
    except tickets.DisputeRefused as exc:
        raise HttpError(400, str(exc)) from exc


@router.post(
    "/{int:pk}/links",
    response={201: LinkOut, **ERRORS},
    summary="Link to another ticket (related, duplicate of, child of)",
)
def ticket_link(request: HttpRequest, pk: int, payload: LinkIn) -> Any:
    source = _visible(request, pk, CHANGE)
    target = _visible(request, payload.target_id)
    return Status(201, tickets.link(source, target, kind=payload.kind, actor=request.user))


@router.post(
    "/{int:pk}/merge",
    response={200: TicketDetailOut, **ERRORS},
    summary="Merge this ticket into another; returns the ticket merged into",
)
def ticket_merge(request: HttpRequest, pk: int, payload: MergeIn) -> Any:
    source = _visible(request, pk, CHANGE)
    target = _visible(request, payload.into_id, CHANGE)
    tickets.merge(source, target, actor=request.user)
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


# --- setup: categories, custom fields, queue settings ------------------------------------------


class CategoryIn(Schema):
    department_id: int
    name: str = Field(..., min_length=1, max_length=200)
    name_en: str = Field("", max_length=200)
    is_active: bool = True


class CategoryPatch(Schema):
    version: int
    name: str | None = Field(None, min_length=1, max_length=200)
    name_en: str | None = Field(None, max_length=200)
    is_active: bool | None = None


class CategoryOut(Schema):
    id: int
    department_id: int
    name: str
    name_en: str
    is_active: bool
    version: int


class CustomFieldIn(Schema):
    department_id: int
    key: str = Field(..., min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    label: str = Field(..., min_length=1, max_length=100)
    label_en: str = Field("", max_length=100)
    kind: CustomField.Kind = CustomField.Kind.TEXT
    options: str = Field("", max_length=5000, description="One option per line")
    required: bool = False
    position: int = Field(0, ge=0, le=32767)


class CustomFieldPatch(Schema):
    version: int
    label: str | None = Field(None, min_length=1, max_length=100)
    label_en: str | None = Field(None, max_length=100)
    kind: CustomField.Kind | None = None
    options: str | None = Field(None, max_length=5000)
    required: bool | None = None
    position: int | None = Field(None, ge=0, le=32767)


class CustomFieldOut(Schema):
    id: int
    department_id: int
    key: str
    label: str
    label_en: str
    kind: str
    options: str
    required: bool
    position: int
    version: int


class DepartmentFilter(Schema):
    department_id: int | None = None


def _setup_crud(
    model: type[Model],
    path: str,
    in_schema: type[Schema],
    patch_schema: type[Schema],
    out_schema: type[Schema],
) -> None:
    """List, create, change and delete one kind of per-department ticket setup. The department
    is fixed at creation: a lead cannot move a row into a department they do not lead."""
    noun = str(model._meta.verbose_name_plural)
    slug = path.replace("-", "_")

    @setup_router.get(
        f"/{path}",
        response=list[out_schema],  # type: ignore[valid-type]
        summary=f"List {noun}",
        operation_id=f"list_{slug}",
    )
    @paginate(OrderedCursorPagination, orderings=("id", "created_at", "updated_at"))
    def list_rows(request: HttpRequest, filters: Query[DepartmentFilter]) -> Any:
        authorize(request.user, VIEW, model)
        rows: QuerySet[Any] = model._default_manager.all()
        if filters.department_id is not None:
            rows = rows.filter(department_id=filters.department_id)
        return rows

    @setup_router.post(
        f"/{path}",
        response={201: out_schema, **ERRORS},
        summary=f"Create one of {noun} (leads of its department)",
        operation_id=f"create_{slug}",
    )
    def create_row(request: HttpRequest, payload: in_schema) -> Any:  # type: ignore[valid-type]
        fields = payload.dict()  # type: ignore[attr-defined]
        department = access_object(request.user, Department, fields["department_id"])
        authorize(request.user, ADD, model(department=department))
        return Status(201, object_create(model, **fields))

    @setup_router.patch(
        f"/{path}/{{int:pk}}",
        response={200: out_schema, **ERRORS},
        summary=f"Change one of {noun} (send the version you read; 409 if it moved on)",
        operation_id=f"update_{slug}",
    )
    def update_row(request: HttpRequest, pk: int, payload: patch_schema) -> Any:  # type: ignore[valid-type]
        row = access_object(request.user, model, pk, action=CHANGE)
        data = payload.dict(exclude_unset=True)  # type: ignore[attr-defined]
        version = data.pop("version")
        changes = {k: v for k, v in data.items() if v is not None}
        return object_update(row, expected_version=version, changes=changes)  # type: ignore[type-var]

    @setup_router.delete(
        f"/{path}/{{int:pk}}",
        response={204: None, **ERRORS},
        summary=f"Delete one of {noun}",
        operation_id=f"delete_{slug}",
    )
    def delete_row(request: HttpRequest, pk: int) -> Any:
        object_delete(access_object(request.user, model, pk, action=DELETE))
        return Status(204, None)


_setup_crud(Category, "ticket-categories", CategoryIn, CategoryPatch, CategoryOut)
_setup_crud(CustomField, "ticket-fields", CustomFieldIn, CustomFieldPatch, CustomFieldOut)


class DeskSettingsOut(Schema):
    department_id: int
    assignment_strategy: str
    auto_close_days: int
    working_calendar_id: int | None
    version: int


class DeskSettingsIn(Schema):
    version: int
    assignment_strategy: AssignmentStrategy
    auto_close_days: int = Field(..., ge=0, le=3650, description="0 never closes automatically")
    working_calendar_id: int | None = None


def _queue_settings(request: HttpRequest, pk: int, action: str) -> DeskSettings:
    department = access_object(request.user, Department, pk)
    # Decide on an unsaved row first, so a refused reader never creates one.
    authorize(request.user, action, DeskSettings(department=department))
    return tickets.desk_settings(department)


@setup_router.get(
    "/departments/{int:pk}/queue-settings",
    response={200: DeskSettingsOut, **ERRORS},
    summary="How a department runs its queue (its leads)",
)
def queue_settings_get(request: HttpRequest, pk: int) -> Any:
    return _queue_settings(request, pk, VIEW)


@setup_router.put(
    "/departments/{int:pk}/queue-settings",
    response={200: DeskSettingsOut, **ERRORS},
    summary="Replace a department's queue settings (send the version you read; 409 if stale)",
)
def queue_settings_put(request: HttpRequest, pk: int, payload: DeskSettingsIn) -> Any:
    row = _queue_settings(request, pk, CHANGE)
    return object_update(
        row,
        expected_version=payload.version,
        changes={
            "assignment_strategy": payload.assignment_strategy.value,
            "auto_close_days": payload.auto_close_days,
            "working_calendar_id": payload.working_calendar_id,
        },
    )
