"""Request and response schemas of the ticket API (``api``): staff and customer views of a ticket.

No ``from __future__ import annotations``: django-ninja reads the annotations at runtime.
"""

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from ninja import Schema
from pydantic import Field, SerializationInfo, SerializerFunctionWrapHandler, model_serializer

from kehu.desk.models import (
    Attachment,
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
from kehu.desk.rules import is_customer

TagList = list[Annotated[str, Field(min_length=1, max_length=50)]]
CustomValues = dict[str, str | int | float | bool | None]


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

    # No return annotation on purpose: pydantic would publish it ("any") as the schema's shape;
    # without one the OpenAPI schema shows the fields.
    @model_serializer(mode="wrap")
    def _for_audience(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo):
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
