from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightConfig(AppConfig):
    name = "kehu.insight"
    label = "insight"
    verbose_name = _("Insight")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.insight import models, rules  # noqa: F401  (rules register permissions)

        auditlog.register(
            models.Subscription, exclude_fields=["version", "updated_at", "created_at"]
        )
        auditlog.register(
            models.HealthSettings, exclude_fields=["version", "updated_at", "created_at"]
        )
