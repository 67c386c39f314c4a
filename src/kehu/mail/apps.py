from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "kehu.mail"
    label = "mail"
    verbose_name = _("Email channel")

    def ready(self) -> None:
        from kehu.desk.signals import ticket_event
        from kehu.mail import outbound

        ticket_event.connect(outbound.on_ticket_event, dispatch_uid="kehu.mail")
