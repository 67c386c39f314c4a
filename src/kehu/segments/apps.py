from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "kehu.segments"
    label = "segments"
    verbose_name = _("Customer segments")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import panels
        from kehu.segments import models, rules  # noqa: F401  (rules register permissions)
        from kehu.segments.panels import segment_panel_context

        auditlog.register(models.SegmentRule, exclude_fields=["version", "updated_at"])
        panels.register(
            panels.Panel(
                key="segment",
                order=10,
                template="segments/_account_panel.html",
                context=segment_panel_context,
            )
        )
