"""Audit entries for rows written in bulk.

``bulk_create`` sends no signals, so auditlog never hears of the rows it inserts. A caller that
inserts registered models in bulk (the desk opening a batch of mail's tickets) writes their
"created" entries here instead: the same entries auditlog would have written, stamped with the
current actor and channel, in one statement.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils.encoding import smart_str

from kehu.audit.context import stamp_entry
from kehu.audit.models import AuditEntry


def log_created(instances: Sequence[Model]) -> list[AuditEntry]:
    """Write the "created" entries of ``instances``, just inserted with ``bulk_create``."""
    entries = []
    for instance in instances:
        changes = model_instance_diff(
            None,
            instance,
            use_json_for_changes=getattr(settings, "AUDITLOG_STORE_JSON_CHANGES", False),
        )
        if not changes:
            continue
        entry = AuditEntry(
            content_type=ContentType.objects.get_for_model(instance),
            object_pk=str(instance.pk),
            object_id=instance.pk if isinstance(instance.pk, int) else None,
            object_repr=smart_str(instance),
            serialized_data=AuditEntry.objects._get_serialized_data_or_none(instance),
            action=AuditEntry.Action.CREATE,
            changes=changes,
            cid=get_cid(),
        )
        stamp_entry(AuditEntry, entry)
        entries.append(entry)
    return AuditEntry.objects.bulk_create(entries)
