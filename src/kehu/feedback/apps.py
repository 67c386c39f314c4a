from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kehu.feedback"
    label = "feedback"
    verbose_name = _("Satisfaction and complaints")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.feedback import models, receivers, rules  # noqa: F401  (register rules, receivers)

        auditlog.register(
            models.ComplaintRecord, exclude_fields=["id", "created_at", "updated_at", "version"]
        )
        auditlog.register(
            models.CallbackTask, include_fields=["assignee", "due_at", "done_at", "outcome"]
        )
