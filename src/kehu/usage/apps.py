from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsageConfig(AppConfig):
    name = "kehu.usage"
    label = "usage"
    verbose_name = _("Usage")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import panels
        from kehu.usage import models, rules  # noqa: F401  (rules register permissions)
        from kehu.usage.panel import usage_panel_context

        auditlog.register(models.Product, exclude_fields=["name_pinyin", "version", "updated_at"])
        auditlog.register(models.SwingRule, exclude_fields=["version", "updated_at"])
        auditlog.register(models.SwingAlert, exclude_fields=["version", "updated_at"])
        panels.register(
            panels.Panel(
                key="usage",
                order=30,
                template="usage/_account_panel.html",
                context=usage_panel_context,
            )
        )
