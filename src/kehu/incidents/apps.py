from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "kehu.incidents"
    label = "incidents"
    verbose_name = _("Major incidents")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.incidents import account_timeline, models, rules  # noqa: F401  (permissions)

        account_timeline.connect()

        # The timeline is its own immutable record; the incident's own columns are audited.
        auditlog.register(
            models.MajorIncident,
            include_fields=[
                "title",
                "description",
                "status",
                "severity",
                "commander",
                "review_summary",
                "review_root_cause",
                "review_timeline",
                "review_actions",
                "review_completed_at",
            ],
            m2m_fields={"response_departments", "response_members"},
        )
