from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChurnConfig(AppConfig):
    name = "kehu.churn"
    label = "churn"
    verbose_name = _("Churn reviews")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.churn import models, rules  # noqa: F401  (rules register permissions)
        from kehu.churn.rules import can_see_report
        from kehu.churn.views import account_panel_context
        from kehu.customers import care_nav, panels

        panels.register(
            panels.Panel(
                key="churn",
                order=60,
                template="churn/_account_panel.html",
                context=account_panel_context,
            )
        )
        care_nav.register_flag("churn_report", can_see_report)
        # Transitions have their own log (ChurnStatusChange); the record's columns are audited.
        auditlog.register(
            models.ChurnReview,
            exclude_fields=["version", "updated_at", "created_at"],
            m2m_fields={"attendees", "tickets", "incidents"},
        )
        auditlog.register(models.ChurnFollowUp, exclude_fields=["version", "updated_at"])
