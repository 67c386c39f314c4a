"""Reads of the notifications app."""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from kehu.notify.models import Notification, Webhook, WebhookDelivery


def inbox(user: Any) -> QuerySet[Notification]:
    """The user's inbox, unread first, newest first."""
    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return (
        Notification.objects.filter(recipient=user, in_inbox=True)
        .alias(unread=unread)
        .order_by("-unread", "-created_at", "-id")
    )


def unread_count(user: Any) -> int:
    """Unread inbox notifications of ``user`` (one indexed COUNT)."""
    return Notification.objects.filter(recipient=user, in_inbox=True, read_at__isnull=True).count()


def webhooks_list() -> QuerySet[Webhook]:
    return Webhook.objects.select_related("created_by")


def deliveries(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """A webhook's deliveries, newest first."""
    return WebhookDelivery.objects.filter(webhook=webhook).order_by("-created_at", "-id")
