"""REST endpoints of notifications: the own inbox and preferences, webhooks for administrators."""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from kehu.access.permissions import ADD, CHANGE, DELETE, VIEW, access_object, authorize
from kehu.core.api import ERRORS, OrderedCursorPagination
from kehu.core.services import object_delete
from kehu.notify import selectors, services
from kehu.notify.models import (
    WEBHOOK_EVENTS,
    Event,
    Notification,
    Preference,
    Webhook,
    WebhookDelivery,
)

router = Router(tags=["notifications"])

EventName = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]
PreferenceEvent = Literal[tuple(Event.values)]  # type: ignore[valid-type]


class NotificationOut(Schema):
    id: int
    event: str
    ticket_id: int | None
    title: str
    body: str
    url: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None
    email_state: str


class InboxFilter(Schema):
    unread: bool | None = Field(None, description="Only unread (true) or only read (false)")


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class PreferenceIO(Schema):
    event: PreferenceEvent  # type: ignore[valid-type]
    inbox: bool
    email: bool


class PreferencesIn(Schema):
    preferences: list[PreferenceIO] = Field(..., max_length=50)


class WebhookIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    url: str = Field(..., min_length=1, max_length=500, examples=["https://example.com/kehu"])
    events: list[EventName] = Field(..., min_length=1, max_length=50)
    is_active: bool = True
    secret: str = Field(
        "", max_length=200, description="Blank: one is generated (on update: kept as it is)"
    )


class WebhookUpdate(WebhookIn):
    version: int


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    is_active: bool
    secret: str
    version: int
    created_at: datetime
    updated_at: datetime


class DeliveryOut(Schema):
    id: int
    webhook_id: int
    event: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime | None
    response_code: int | None
    last_error: str
    attempt_log: list[dict[str, Any]]
    created_at: datetime
    delivered_at: datetime | None


# --- own inbox ---------------------------------------------------------------------------------


@router.get("/notifications", response=list[NotificationOut], summary="Your notifications")
@paginate(OrderedCursorPagination, orderings=("-created_at", "created_at"))
def notification_list(request: HttpRequest, filters: Query[InboxFilter]) -> Any:
    authorize(request.user, VIEW, Notification)
    notifications = Notification.objects.filter(recipient_id=request.user.pk, in_inbox=True)
    if filters.unread is not None:
        notifications = notifications.filter(read_at__isnull=filters.unread)
    return notifications


@router.get(
    "/notifications/unread-count",
    response={200: UnreadOut, **ERRORS},
    summary="How many of your notifications are unread",
)
def notification_unread_count(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, Notification)
    return {"unread": selectors.unread_count(request.user)}


@router.post(
    "/notifications/{int:pk}/read",
    response={200: NotificationOut, **ERRORS},
    summary="Mark one of your notifications read",
)
def notification_read(request: HttpRequest, pk: int) -> Any:
    notification = access_object(
        request.user,
        Notification,
        pk,
        action=CHANGE,
        queryset=Notification.objects.filter(recipient_id=request.user.pk),
    )
    services.notification_mark_read(notification=notification)
    return notification


@router.post(
    "/notifications/read-all",
    response={200: MarkedOut, **ERRORS},
    summary="Mark all your notifications read",
)
def notification_read_all(request: HttpRequest) -> Any:
    authorize(request.user, CHANGE, Notification)
    return {"marked": services.notifications_mark_all_read(user=request.user)}


@router.get(
    "/preferences",
    response={200: list[PreferenceIO], **ERRORS},
    summary="Which events reach you in the inbox and by email",
)
def preferences_get(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, Preference)
    return services.preferences_for(request.user)


@router.put(
    "/preferences",
    response={200: list[PreferenceIO], **ERRORS},
    summary="Change your choices (events not listed keep theirs)",
)
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> Any:
    authorize(request.user, CHANGE, Preference)
    choices = {p.event: (p.inbox, p.email) for p in payload.preferences}
    return services.preferences_save(user=request.user, choices=choices)


# --- webhooks (administrators) -----------------------------------------------------------------


@router.get("/webhooks", response=list[WebhookOut], tags=["webhooks"], summary="List webhooks")
@paginate(OrderedCursorPagination, orderings=("name", "created_at", "updated_at"))
def webhook_list(request: HttpRequest) -> Any:
    authorize(request.user, VIEW, Webhook)
    return selectors.webhooks_list()


@router.post(
    "/webhooks",
    response={201: WebhookOut, **ERRORS},
    tags=["webhooks"],
    summary="Create a webhook",
)
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Any:
    authorize(request.user, ADD, Webhook)
    webhook = services.webhook_create(actor=request.user, fields=payload.dict())
    return Status(201, webhook)


@router.get(
    "/webhooks/{int:pk}",
    response={200: WebhookOut, **ERRORS},
    tags=["webhooks"],
    summary="Read a webhook",
)
def webhook_get(request: HttpRequest, pk: int) -> Any:
    return access_object(request.user, Webhook, pk)


@router.put(
    "/webhooks/{int:pk}",
    response={200: WebhookOut, **ERRORS},
    tags=["webhooks"],
    summary="Change a webhook (send the version you read; 409 if it moved on)",
)
def webhook_update(request: HttpRequest, pk: int, payload: WebhookUpdate) -> Any:
    webhook = access_object(request.user, Webhook, pk, action=CHANGE)
    fields = payload.dict()
    version = fields.pop("version")
    return services.webhook_update(webhook=webhook, expected_version=version, fields=fields)


@router.delete(
    "/webhooks/{int:pk}",
    response={204: None, **ERRORS},
    tags=["webhooks"],
    summary="Delete a webhook and its deliveries",
)
def webhook_delete(request: HttpRequest, pk: int) -> Any:
    object_delete(access_object(request.user, Webhook, pk, action=DELETE))
    return Status(204, None)


@router.get(
    "/webhooks/{int:pk}/deliveries",
    response=list[DeliveryOut],
    tags=["webhooks"],
    summary="A webhook's deliveries, newest first",
)
@paginate(OrderedCursorPagination, orderings=("-created_at", "created_at"))
def webhook_deliveries(request: HttpRequest, pk: int) -> Any:
    webhook = access_object(request.user, Webhook, pk)
    return selectors.deliveries(webhook)


@router.post(
    "/webhooks/{int:pk}/test",
    response={202: DeliveryOut, **ERRORS},
    tags=["webhooks"],
    summary="Queue a test delivery (event 'ping')",
)
def webhook_test(request: HttpRequest, pk: int) -> Any:
    webhook = access_object(request.user, Webhook, pk, action=CHANGE)
    return Status(202, services.webhook_ping(webhook=webhook, actor=request.user))


@router.post(
    "/deliveries/{int:pk}/redeliver",
    response={202: DeliveryOut, **ERRORS},
    tags=["webhooks"],
    summary="Send a finished delivery again (409 while it is still under way)",
)
def delivery_redeliver(request: HttpRequest, pk: int) -> Any:
    delivery = access_object(request.user, WebhookDelivery, pk, action=CHANGE)
    if not services.delivery_redeliver(delivery=delivery):
        return Status(
            409,
            {
                "code": "under_way",
                "message": "This delivery is still being attempted.",
                "errors": [],
            },
        )
    return Status(202, delivery)
