"""Notifications about things other than tickets (usage swings, handovers, churn reviews).

``notify_users`` writes one inbox row per person in their own language and queues its email by
their preference for the event (``Preference``; without one, ``EMAIL_BY_DEFAULT``) and their
working hours. Call it inside the transaction that made the fact; emails are sent after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import override

from kehu.notify.delivery import deliver_due
from kehu.notify.models import EMAIL_BY_DEFAULT, EmailState, Notification, Preference
from kehu.notify.quiet import email_send_after

Text = Callable[[Any], tuple[str, str]]


def notify_users(
    *, event: str, users: Iterable[Any], text: Text, url: str, urgent: bool = False
) -> list[Notification]:
    """Tell each active user once; ``text(user)`` gives (title, body) and runs in the
    recipient's language."""
    people = {u.pk: u for u in users if u is not None}
    return notify(event=event, notices=[(u, url, text) for u in people.values()], urgent=urgent)


def notify(
    *, event: str, notices: Iterable[tuple[Any, str, Text]], urgent: bool = False
) -> list[Notification]:
    """One notification per (user, url, text) — several facts to several people at once, with
    one query for everyone's preferences."""
    wanted = [
        (user, url, text) for user, url, text in notices if user is not None and user.is_active
    ]
    if not wanted:
        return []
    stored = {
        p.user_id: (p.inbox, p.email)
        for p in Preference.objects.filter(
            user_id__in={user.pk for user, _url, _text in wanted}, event=event
        )
    }
    now = timezone.now()
    send_after: dict[int, Any] = {}
    rows = []
    for user, url, text in wanted:
        inbox, email = stored.get(user.pk, (True, event in EMAIL_BY_DEFAULT))
        wants_mail = email and bool(user.email)
        if not (inbox or wants_mail):
            continue
        if wants_mail and user.pk not in send_after:
            send_after[user.pk] = email_send_after(user, now=now, urgent=urgent)
        with override(user.language):
            title, body = text(user)
        rows.append(
            Notification(
                recipient=user,
                event=event,
                title=title[:300],
                body=body,
                url=url,
                in_inbox=inbox,
                email_state=EmailState.PENDING if wants_mail else EmailState.SKIPPED,
                send_after=send_after[user.pk] if wants_mail else None,
            )
        )
    created = Notification.objects.bulk_create(rows, batch_size=2000)
    if any(n.send_after is not None and n.send_after <= now for n in created):
        transaction.on_commit(lambda: deliver_due.enqueue())
    return created
