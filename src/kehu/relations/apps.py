from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "kehu.relations"
    label = "relations"
    verbose_name = _("Relationships")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.access.permissions import is_staff_member
        from kehu.customers import care_nav, panels
        from kehu.relations import models, rules  # noqa: F401  (rules register permissions)
        from kehu.relations.views import account_panel_context

        care_nav.register_flag("relations_staff", is_staff_member)
        panels.register(
            panels.Panel(
                key="relations",
                order=45,
                template="relations/_account_panel.html",
                context=account_panel_context,
            )
        )
        excluded = ["version", "updated_at", "created_at"]
        # Personal notes are masked in the audit log: it records that they changed, not what.
        auditlog.register(
            models.Person,
            exclude_fields=excluded,
            mask_fields=list(models.PERSONAL_PROFILE_FIELDS),
        )
        auditlog.register(models.BuyingRole, exclude_fields=excluded)
        auditlog.register(models.AccountRelationship, exclude_fields=excluded)
        auditlog.register(models.StageChange)
        auditlog.register(
            models.Interaction, exclude_fields=excluded, m2m_fields={"people", "our_attendees"}
        )
        auditlog.register(models.IronTriangle, exclude_fields=excluded, m2m_fields={"members"})
        _connect_team_signals()


def _connect_team_signals() -> None:
    """The iron triangle follows the account's owner (a handover, an edit) and loses the seats
    of someone a handover is started for (kehu.handover, below this app)."""
    from django.db.models.signals import post_save

    from kehu.customers.models import Ownership
    from kehu.handover.models import Handover

    post_save.connect(_owner_changed, sender=Ownership, dispatch_uid="relations_follow_owner")
    post_save.connect(_handover_started, sender=Handover, dispatch_uid="relations_handover")


def _owner_changed(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and instance.ended_at is None and not kwargs.get("raw"):
        from kehu.relations.team import follow_owner

        follow_owner(account_id=instance.account_id, owner_id=instance.owner_id)


def _handover_started(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw") and instance.reason != "other":
        from kehu.relations.team import vacate_seats

        vacate_seats(employee=instance.from_employee)
