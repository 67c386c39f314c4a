"""Optimistic concurrency: a write carries the version it was based on."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.models import VersionedModel

M = TypeVar("M", bound=VersionedModel)


class StaleVersionError(Exception):
    """Someone saved the object after the caller read it; nothing was written."""

    def __init__(self, current: VersionedModel):
        self.current = current
        super().__init__(
            _(
                "This record was changed by someone else since you opened it "
                "(now at version %(version)s). Nothing was saved; review the current values "
                "and apply your change again."
            )
            % {"version": current.version}
        )


def save_if_current(instance: M, *, expected_version: int, changes: dict[str, Any]) -> M:
    """Apply ``changes`` to ``instance`` only if its stored version is still ``expected_version``.

    The row is locked (SELECT … FOR UPDATE; on SQLite the IMMEDIATE transaction holds the write
    lock) so two writers with the same expected version cannot both pass the check.
    """
    with transaction.atomic():
        locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
        if locked.version != expected_version:
            raise StaleVersionError(locked)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.full_clean()
        locked.version = expected_version + 1
        locked.save()
    return locked
