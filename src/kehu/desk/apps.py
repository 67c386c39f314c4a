from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "kehu.desk"
    label = "desk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.desk import models, rules  # noqa: F401  (rules register permissions)

        # Intervals and days are not audited one by one: the calendar's "schedule" field carries
        # the whole schedule, so its history shows each change in one place.
        auditlog.register(
            models.BusinessCalendar,
            include_fields=["name", "name_en", "time_zone", "description", "schedule"],
        )
        auditlog.register(models.PriorityMatrix, include_fields=["cells"])
        auditlog.register(
            models.SlaPolicy,
            include_fields=[
                "name",
                "name_en",
                "position",
                "is_active",
                "calendar",
                "ticket_types",
                "warning_fraction",
                "target_summary",
            ],
            m2m_fields={"departments", "services"},
        )
