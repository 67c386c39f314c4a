from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "kehu.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.desk.signals import ticket_events
        from kehu.notify import models, receivers, rules  # noqa: F401  (rules register permissions)

        ticket_events.connect(receivers.on_ticket_events, dispatch_uid="kehu.notify")
        # Who changed which endpoint and subscriptions; the secret never enters the history.
        auditlog.register(models.Webhook, include_fields=["name", "url", "events", "is_active"])
