"""Who is acting and through which channel, for the audit entries written meanwhile.

A context variable (not a thread-local) so it is right under threads and async alike. The web
middleware opens a context per request; the API's token authentication names the actor once it
is known; imports and operator commands open their own with their channel.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from kehu.audit.models import AuditEntry, Channel


@dataclass
class AuditContext:
    channel: str = Channel.SYSTEM
    actor: Any = None
    remote_addr: str | None = None


_current: ContextVar[AuditContext | None] = ContextVar("kehu_audit_context", default=None)


@contextlib.contextmanager
def audit_context(
    *, channel: str, actor: Any = None, remote_addr: str | None = None
) -> Iterator[AuditContext]:
    """Attribute every audit entry written inside the block to ``actor`` via ``channel``."""
    token = _current.set(AuditContext(channel=channel, actor=actor, remote_addr=remote_addr))
    try:
        yield _current.get()  # type: ignore[misc]
    finally:
        _current.reset(token)


def set_actor(actor: Any) -> None:
    """Name the actor of the current context (e.g. once an API token has been checked)."""
    current = _current.get()
    if current is not None:
        current.actor = actor


def set_channel(channel: str) -> None:
    current = _current.get()
    if current is not None:
        current.channel = channel


def stamp_entry(sender: type, instance: AuditEntry, **kwargs: Any) -> None:
    """pre_save receiver: stamp a new entry with the current actor, channel and address."""
    current = _current.get()
    if current is None or instance.pk is not None:
        return
    instance.channel = current.channel
    actor = current.actor
    if (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and instance.actor_id is None
    ):
        instance.actor = actor
        instance.actor_email = getattr(actor, "email", None)
    if current.remote_addr and not instance.remote_addr:
        instance.remote_addr = current.remote_addr
