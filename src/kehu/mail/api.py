"""REST endpoints of the email channel: mailboxes (administrators), received mail (the desk),
and handing over a raw message over HTTP (for relays that cannot pipe to ``kehu mail-ingest``)."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import ADD, CHANGE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.mail import ingest, services
from kehu.mail.models import InboundMail, Mailbox

router = Router(tags=["email"])
MAX_RAW_BYTES = 50 * 1024 * 1024


class MailboxIn(Schema):
    department_id: int = Field(..., ge=1)
    address: str = Field(..., max_length=254, description="Validated as an email address")
    display_name: str = Field("", max_length=100)
    is_active: bool = True
    unknown_senders: Mailbox.UnknownSenders = Mailbox.UnknownSenders.CREATE_CONTACT
    thread_by_subject: bool = True
    sender_limit_per_hour: int = Field(30, ge=0, le=100_000)
    imap_host: str = Field("", max_length=200)
    imap_port: int = Field(993, ge=1, le=65535)
    imap_security: Mailbox.Security = Mailbox.Security.SSL
    imap_user: str = Field("", max_length=200)
    imap_password: str = Field("", max_length=200, description="Write-only; blank keeps it")
    imap_folder: str = Field("INBOX", min_length=1, max_length=200)
    processed_folder: str = Field("", max_length=200)


class MailboxUpdate(MailboxIn):
    version: int = Field(..., ge=1, description="The version you read")


class MailboxOut(Schema):
    id: int
    version: int
    department_id: int
    address: str
    display_name: str
    is_active: bool
    unknown_senders: str
    thread_by_subject: bool
    sender_limit_per_hour: int
    imap_host: str
    imap_port: int
    imap_security: str
    imap_user: str
    has_imap_password: bool
    imap_folder: str
    processed_folder: str
    last_polled_at: datetime | None
    last_poll_error: str

    @staticmethod
    def resolve_has_imap_password(obj: Mailbox) -> bool:
        return bool(obj.imap_password)


class ReceivedOut(Schema):
    id: int
    mailbox_id: int
    message_id: str
    sender: str
    subject: str
    received_at: datetime
    outcome: str
    detail: str
    ticket_id: int | None


class ReceivedFilter(Schema):
    outcome: InboundMail.Outcome | None = None
    mailbox_id: int | None = Field(None, ge=1)


def _fields(payload: MailboxIn) -> dict[str, Any]:
    data = payload.dict()
    data.pop("version", None)
    data["department_id"] = data.pop("department_id")
    return data


@router.get("/mailboxes", response=list[MailboxOut], summary="List mailboxes")
def mailbox_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, Mailbox)
    return Mailbox.objects.order_by("address")


@router.post("/mailboxes", response={201: MailboxOut, **ERRORS}, summary="Create a mailbox")
def mailbox_create(request: HttpRequest, payload: MailboxIn) -> Any:
    authorize(request.user, ADD, Mailbox)
    return Status(201, services.mailbox_create(fields=_fields(payload)))


@router.get("/mailboxes/{int:pk}", response={200: MailboxOut, **ERRORS}, summary="Read a mailbox")
def mailbox_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, Mailbox, pk)


@router.put(
    "/mailboxes/{int:pk}",
    response={200: MailboxOut, **ERRORS},
    summary="Change a mailbox (send the version you read; 409 if it moved on)",
)
def mailbox_update(request: HttpRequest, pk: int, payload: MailboxUpdate) -> Any:
    mailbox = access_object(request.user, Mailbox, pk, action=CHANGE)
    return services.mailbox_update(
        mailbox=mailbox, expected_version=payload.version, fields=_fields(payload)
    )


@router.post(
    "/mailboxes/{int:pk}/messages",
    response={201: ReceivedOut, **ERRORS},
    summary="Hand over one raw RFC 822 message (a repeat returns the first delivery's record)",
)
def message_hand_over(request: HttpRequest, pk: int, message: File[UploadedFile]) -> Any:
    mailbox = access_object(request.user, Mailbox, pk, action=CHANGE)
    if message.size is None or message.size > MAX_RAW_BYTES:
        return Status(422, {"detail": f"A message may be at most {MAX_RAW_BYTES} bytes."})
    return Status(201, ingest.ingest(message.read(), mailbox))


@router.get("/received", response=list[ReceivedOut], summary="Received mail, newest first")
@paginate(OrderedCursorPagination, orderings=("-id", "id"))
def received_list(request: HttpRequest, filters: Query[ReceivedFilter]) -> Any:
    authorize(request.user, VIEW, InboundMail)
    found = InboundMail.objects.defer("raw")
    if filters.outcome:
        found = found.filter(outcome=filters.outcome)
    if filters.mailbox_id:
        found = found.filter(mailbox_id=filters.mailbox_id)
    return found


@router.get("/received/{int:pk}", response={200: ReceivedOut, **ERRORS}, summary="Read one")
def received_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, InboundMail, pk)


@router.post(
    "/received/{int:pk}/release",
    response={200: ReceivedOut, **ERRORS},
    summary="Open the ticket a held message asked for (its sender becomes a contact)",
)
def received_release(request: HttpRequest, pk: int) -> Any:
    record = access_object(request.user, InboundMail, pk, action=CHANGE)
    return services.release_held(record, actor=request.user)


@router.post(
    "/received/{int:pk}/discard",
    response={200: ReceivedOut, **ERRORS},
    summary="Keep a held message on file as not used",
)
def received_discard(request: HttpRequest, pk: int) -> Any:
    record = access_object(request.user, InboundMail, pk, action=CHANGE)
    return services.discard_held(record, actor=request.user)
