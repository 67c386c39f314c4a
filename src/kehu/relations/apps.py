from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RelationsConfig(AppConfig):
    name = "kehu.relations"
    label = "relations"
    verbose_name = _("Relationships")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import panels
        from kehu.relations import models, rules  # noqa: F401  (rules register permissions)
        from kehu.relations.views import account_panel_context

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
        auditlog.register(models.Person, exclude_fields=excluded, mask_fields=["notes"])
        auditlog.register(models.BuyingRole, exclude_fields=excluded)
        auditlog.register(models.AccountRelationship, exclude_fields=excluded)
        auditlog.register(models.StageChange)
        auditlog.register(
            models.Interaction, exclude_fields=excluded, m2m_fields={"people", "our_attendees"}
        )
