from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "kehu.mail"
    label = "mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.desk.signals import ticket_events
        from kehu.mail import models, outbound, rules  # noqa: F401  (rules register permissions)

        ticket_events.connect(outbound.on_ticket_events, dispatch_uid="kehu.mail")
        # Who changed which mailbox setting; the password never enters the history.
        auditlog.register(
            models.Mailbox,
            exclude_fields=[
                "imap_password",
                "last_polled_at",
                "last_poll_error",
                "updated_at",
                "version",
            ],
        )
