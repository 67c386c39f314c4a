from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PipelineConfig(AppConfig):
    name = "kehu.pipeline"
    label = "pipeline"
    verbose_name = _("Pipeline")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import panels
        from kehu.pipeline import models, rules  # noqa: F401  (rules register permissions)
        from kehu.pipeline.views import account_panel_context

        panels.register(
            panels.Panel(
                key="pipeline",
                order=50,
                template="pipeline/_account_panel.html",
                context=account_panel_context,
            )
        )
        excluded = ["version", "updated_at", "created_at"]
        auditlog.register(models.Stage, exclude_fields=excluded)
        auditlog.register(models.Lead, exclude_fields=excluded)
        auditlog.register(models.Opportunity, exclude_fields=excluded, m2m_fields={"members"})
        auditlog.register(models.OpportunityRole, exclude_fields=excluded)
        auditlog.register(models.Competitor, exclude_fields=excluded)
