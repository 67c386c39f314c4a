"""Reading the audit history of an object."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.audit.models import AuditEntry


def history_for(obj: Model) -> QuerySet[AuditEntry]:
    """Entries about ``obj``, newest first, with their actors loaded."""
    content_type = ContentType.objects.get_for_model(type(obj))
    return (
        AuditEntry.objects.filter(content_type=content_type, object_pk=str(obj.pk))
        .select_related("actor")
        .order_by("-timestamp", "-id")
    )


@dataclass
class ChangeRow:
    label: str
    before: str
    after: str


@dataclass
class HistoryRow:
    entry: AuditEntry
    changes: list[ChangeRow]

    @property
    def action_label(self) -> str:
        labels = {
            0: pgettext("audit action", "created"),
            1: pgettext("audit action", "changed"),
            2: pgettext("audit action", "deleted"),
        }
        return str(labels.get(self.entry.action, self.entry.get_action_display()))


_EMPTY = {"None", "", "[]"}


def history_rows(obj: Model, *, limit: int = 100) -> list[HistoryRow]:
    """The object's history ready to show: field labels, choice labels and related names.

    Related objects named in the changes are fetched in one query per related model, however
    many entries there are.
    """
    entries = list(history_for(obj)[:limit])
    meta = type(obj)._meta
    wanted: dict[type[Model], set[str]] = defaultdict(set)
    for entry in entries:
        for name, change in (entry.changes or {}).items():
            field = _field(meta, name)
            if field is not None and field.many_to_one and isinstance(change, list):
                wanted[field.related_model].update(v for v in change if v not in _EMPTY)
    names: dict[tuple[type[Model], str], str] = {}
    for model, pks in wanted.items():
        valid = [pk for pk in pks if pk.isdigit()]
        for related in model._default_manager.filter(pk__in=valid):
            names[(model, str(related.pk))] = str(related)

    rows = []
    for entry in entries:
        changes = []
        for name, change in (entry.changes or {}).items():
            field = _field(meta, name)
            label = str(field.verbose_name) if field is not None else name
            if isinstance(
                change, dict
            ):  # many-to-many: {"type": "m2m", "operation": ..., "objects": [...]}
                sign = "+" if change.get("operation") == "add" else "−"
                changes.append(
                    ChangeRow(label, "", f"{sign} {', '.join(map(str, change.get('objects', [])))}")
                )
                continue
            before, after = (_shown(field, v, names) for v in change)
            if before == after == "":
                continue
            if "\n" in before and "\n" in after:
                before, after = _line_diff(before, after)
            elif before.startswith("{") and after.startswith("{"):
                before, after = _mapping_diff(before, after)
            changes.append(ChangeRow(label, before, after))
        rows.append(HistoryRow(entry=entry, changes=changes))
    return rows


def _line_diff(before: str, after: str) -> tuple[str, str]:
    """Only the lines that went and the lines that came, for long multi-line values."""
    old, new = before.splitlines(), after.splitlines()
    removed = [line for line in old if line not in set(new)]
    added = [line for line in new if line not in set(old)]
    return "\n".join(removed), "\n".join(added)


def _mapping_diff(before: str, after: str) -> tuple[str, str]:
    """Only the keys whose values changed, for JSON objects (e.g. a matrix of settings)."""
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError:
        return before, after
    if not isinstance(old, dict) or not isinstance(new, dict):
        return before, after
    keys = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return (
        "\n".join(f"{k}: {old[k]}" for k in keys if k in old),
        "\n".join(f"{k}: {new[k]}" for k in keys if k in new),
    )


def _field(meta: Any, name: str) -> Any:
    try:
        return meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _shown(field: Any, value: Any, names: dict[tuple[type[Model], str], str]) -> str:
    if value is None or str(value) in _EMPTY:
        return ""
    text = str(value)
    if field is None:
        return text
    if field.many_to_one:
        return names.get((field.related_model, text), f"#{text}")
    if getattr(field, "choices", None):
        return str(dict(field.choices).get(text, text))
    if field.get_internal_type() == "BooleanField":
        return str(_("yes") if text == "True" else _("no"))
    return text
