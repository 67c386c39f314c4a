"""Generic writes shared by the domain services: validated create, versioned update, safe delete."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from kehu.core.concurrency import save_if_current
from kehu.core.models import VersionedModel

M = TypeVar("M", bound=Model)
V = TypeVar("V", bound=VersionedModel)


class DeletionBlocked(Exception):
    """The object is still referenced; the message names what holds it."""


def object_create(model: type[M], *, many: dict[str, Any] | None = None, **fields: Any) -> M:
    """Validate and create one object; ``many`` sets many-to-many fields after the insert."""
    with transaction.atomic():
        obj = model(**fields)
        obj.full_clean()
        obj.save()
        for name, values in (many or {}).items():
            getattr(obj, name).set(values)
    return obj


def object_update(
    obj: V, *, expected_version: int, changes: dict[str, Any], many: dict[str, Any] | None = None
) -> V:
    """Apply ``changes`` if nobody saved ``obj`` since ``expected_version`` (else StaleVersionError)."""
    with transaction.atomic():
        updated = save_if_current(obj, expected_version=expected_version, changes=changes)
        for name, values in (many or {}).items():
            getattr(updated, name).set(values)
    return updated


def object_delete(obj: Model) -> None:
    """Delete ``obj`` unless other records still depend on it."""
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        blockers = sorted({str(o._meta.verbose_name_plural) for o in exc.protected_objects})  # type: ignore[union-attr]
        raise DeletionBlocked(
            _("%(object)s is still used by: %(blockers)s. Reassign or remove those first.")
            % {"object": obj, "blockers": ", ".join(blockers)}
        ) from exc
    except IntegrityError as exc:
        raise DeletionBlocked(
            _("%(object)s is still referenced elsewhere.") % {"object": obj}
        ) from exc
