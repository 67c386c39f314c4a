"""Merging two accounts that are the same customer: one survives, the other is folded into it.

Everything that points at the merged account moves to the survivor. The relations are found
through ``Account._meta.related_objects``, so foreign keys and many-to-many fields that other
apps add later (usage records, dossier entries, tickets …) move too without this module
knowing them. Where a move would break a uniqueness rule (one usage record per account,
product and day; one team seat per employee) the survivor's row is kept and the merged
account's row is dropped, and counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.audit.models import AuditEntry
from kehu.core.services import DeletionBlocked
from kehu.customers import timeline
from kehu.customers.models import Account, Ownership, TimelineEntry


@dataclass
class MergeResult:
    survivor: Account
    merged_name: str
    moved: Counter[str] = field(default_factory=Counter)  # "app.Model" → rows moved
    dropped: Counter[str] = field(default_factory=Counter)  # rows dropped on a conflict


def _unique_sets(model: type[models.Model], column: str) -> list[tuple[list[str], Q | None]]:
    """The other fields of every uniqueness rule of ``model`` that includes ``column``."""
    sets: list[tuple[list[str], Q | None]] = []
    meta = model._meta
    field_obj = meta.get_field(column)
    if getattr(field_obj, "unique", False) and not getattr(field_obj, "primary_key", False):
        sets.append(([], None))
    for together in meta.unique_together:
        if column in together:
            sets.append(([f for f in together if f != column], None))
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and column in constraint.fields:
            others = [f for f in constraint.fields if f != column]
            sets.append((others, constraint.condition))
    return sets


def _move(
    model: type[models.Model], column: str, survivor: Account, merged: Account
) -> tuple[int, int]:
    """Point ``model.column`` rows from ``merged`` to ``survivor``; returns (moved, dropped)."""
    manager = model._base_manager
    dropped = 0
    for others, condition in _unique_sets(model, column):
        losers = manager.filter(**{column: merged})
        keepers = manager.filter(**{column: survivor})
        if condition is not None:
            losers, keepers = losers.filter(condition), keepers.filter(condition)
        if others:
            taken = set(keepers.values_list(*others))
            clashing = [
                pk for pk, *values in losers.values_list("pk", *others) if tuple(values) in taken
            ]
        else:
            clashing = list(losers.values_list("pk", flat=True)) if keepers.exists() else []
        if clashing:
            for obj in manager.filter(pk__in=clashing):
                obj.delete()
            dropped += len(clashing)
    moved = manager.filter(**{column: merged}).update(**{column: survivor})
    return moved, dropped


@transaction.atomic
def account_merge(*, survivor: Account, merged: Account, actor: Any = None) -> MergeResult:
    """Fold ``merged`` into ``survivor`` and delete it (DeletionBlocked names what holds it)."""
    if survivor.pk == merged.pk:
        raise ValueError("an account cannot be merged into itself")
    # Both rows locked in id order, so two merges of the same pair cannot deadlock.
    locked = {
        a.pk: a
        for a in Account.objects.select_for_update()
        .filter(pk__in=[survivor.pk, merged.pk])
        .order_by("pk")
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    result = MergeResult(survivor=survivor, merged_name=merged.name)
    now = timezone.now()
    # The merged account's owner stops holding it; their period stays in the history.
    Ownership.objects.filter(account=merged, ended_at__isnull=True).update(
        ended_at=now, reason=_("Merged into %(account)s") % {"account": survivor.name}
    )
    if survivor.parent_id == merged.pk:
        survivor.parent_id = merged.parent_id if merged.parent_id != survivor.pk else None
        survivor.save(update_fields=["parent"])
    labels: list[tuple[str, Any]] = []
    for relation in Account._meta.related_objects:
        model: type[models.Model]
        if relation.many_to_many:
            # Another model's many-to-many field: move the rows of its link table.
            model = relation.through  # type: ignore[attr-defined]
            column = relation.field.m2m_reverse_field_name()  # type: ignore[attr-defined]
        else:
            model = relation.related_model
            column = relation.field.name
        label = relation.related_model._meta.label
        labels.append((label, relation.related_model._meta.verbose_name_plural))
        moved, dropped = _move(model, column, survivor, merged)
        if moved:
            result.moved[label] += moved
        if dropped:
            result.dropped[label] += dropped
    for m2m in Account._meta.local_many_to_many:
        getattr(survivor, m2m.name).add(*getattr(merged, m2m.name).all())
    _fill_blanks(survivor, merged)
    try:
        with transaction.atomic():
            merged.delete()
    except (ProtectedError, RestrictedError) as exc:
        blockers = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects})  # type: ignore[union-attr]
        raise DeletionBlocked(
            _("%(object)s cannot be deleted after the merge; still used by: %(blockers)s.")
            % {"object": merged.name, "blockers": ", ".join(blockers)}
        ) from exc
    # The counts are worded when each language renders the line, not in the merger's language.
    lazy_labels = dict(labels)

    def counts() -> str:
        moved = [f"{lazy_labels[k]}: {n}" for k, n in sorted(result.moved.items())]
        dropped = [f"{lazy_labels[k]}: {n}" for k, n in sorted(result.dropped.items())]
        return "; ".join(moved) + (" / " + "; ".join(dropped) if dropped else "")

    timeline.record(
        account_id=survivor.pk,
        kind=TimelineEntry.Kind.MERGE,
        source=f"customers.merge:{merged.pk}",
        occurred_at=now,
        title=timeline.phrase(
            gettext_noop("%(merged)s was merged into this account"), merged=merged.name
        ),
        summary=timeline.phrase(
            gettext_noop("Moved here (and dropped as duplicates): %(counts)s"),
            counts=lazy(counts, str)(),
        ),
        actor=actor,
    )
    AuditEntry.objects.log_create(
        survivor,
        force_log=True,
        action=AuditEntry.Action.UPDATE,
        changes={"merged": [f"{merged.name} (#{merged.pk})", survivor.name]},
        actor=actor if getattr(actor, "pk", None) else None,
    )
    return result


def _fill_blanks(survivor: Account, merged: Account) -> None:
    """The survivor keeps its facts; the merged account fills in what the survivor lacks."""
    changed: list[str] = []
    for name in ("name_en", "industry", "region", "website", "customer_since"):
        if not getattr(survivor, name) and getattr(merged, name):
            setattr(survivor, name, getattr(merged, name))
            changed.append(name)
    if (
        merged.customer_since
        and survivor.customer_since
        and (merged.customer_since < survivor.customer_since)
    ):
        # Tenure counts from the first day either record knew the customer.
        survivor.customer_since = merged.customer_since
        changed.append("customer_since")
    extra = {k: v for k, v in merged.custom_fields.items() if k not in survivor.custom_fields}
    if extra:
        survivor.custom_fields = {**survivor.custom_fields, **extra}
        changed.append("custom_fields")
    survivor.version += 1
    survivor.save(update_fields=sorted({*changed, "version", "updated_at"}))
