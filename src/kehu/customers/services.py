"""Writes on accounts and contacts."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers import timeline
from kehu.customers.models import Account, Ownership, TimelineEntry


@transaction.atomic
def account_change_owner(
    *, account: Account, owner: Any, changed_by: Any = None, reason: str = ""
) -> Account:
    """Give the account to ``owner`` (an org.Employee, or None): the ownership history closes
    the previous holder's period and opens the new one, and the timeline says so.

    Changing to the current owner does nothing. Callers that edit other fields too call this
    inside their own transaction; the account's version moves on either way.
    """
    locked = Account.objects.select_for_update().get(pk=account.pk)
    new_owner_id = owner.pk if owner is not None else None
    if locked.owner_id == new_owner_id:
        return locked
    now = timezone.now()
    Ownership.objects.filter(account=locked, ended_at__isnull=True).update(ended_at=now)
    if owner is not None:
        Ownership.objects.create(account=locked, owner=owner, started_at=now, reason=reason[:300])
    locked.owner = owner
    locked.version += 1
    locked.save(update_fields=["owner", "version", "updated_at"])
    timeline.record(
        account_id=locked.pk,
        kind=TimelineEntry.Kind.OWNER,
        source=f"customers.owner:{locked.pk}:{now.isoformat()}",
        occurred_at=now,
        title=(
            _("Owner is now %(owner)s") % {"owner": owner}
            if owner is not None
            else _("The account has no owner")
        ),
        summary=reason,
        actor=changed_by,
    )
    account.owner = owner
    account.version = locked.version
    return locked
