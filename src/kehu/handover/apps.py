from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoverConfig(AppConfig):
    name = "kehu.handover"
    label = "handover"
    verbose_name = _("Account handover")

    def ready(self) -> None:
        from kehu.handover import models, rules  # noqa: F401  (rules register permissions)
