"""The audit history: one immutable entry per create, update or delete of a business object."""

from __future__ import annotations

from typing import Any

from auditlog.models import AbstractLogEntry
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    SYSTEM = "system", _("System")


class ImmutableEntryError(Exception):
    """History is written once and never changed."""


class AuditEntry(AbstractLogEntry):
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel.choices, default=Channel.SYSTEM
    )

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(
                fields=["content_type", "object_pk", "-timestamp"], name="audit_object_idx"
            )
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableEntryError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableEntryError("Audit entries cannot be deleted.")
