"""Reading the audit history of an object."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from kehu.audit.models import AuditEntry


def history_for(obj: Model) -> QuerySet[AuditEntry]:
    """Entries about ``obj``, newest first, with their actors loaded."""
    content_type = ContentType.objects.get_for_model(type(obj))
    return (
        AuditEntry.objects.filter(content_type=content_type, object_pk=str(obj.pk))
        .select_related("actor")
        .order_by("-timestamp", "-id")
    )
