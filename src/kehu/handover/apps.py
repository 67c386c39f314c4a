from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "kehu.handover"
    label = "handover"
    verbose_name = _("Account handover")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import panels
        from kehu.handover import models, rules  # noqa: F401  (rules register permissions)
        from kehu.handover.panels import handover_panel_context

        auditlog.register(models.Handover, exclude_fields=["version", "updated_at"])
        auditlog.register(models.HandoverItem, exclude_fields=["version", "updated_at"])
        panels.register(
            panels.Panel(
                key="handover",
                order=15,
                template="handover/_account_panel.html",
                context=handover_panel_context,
            )
        )
