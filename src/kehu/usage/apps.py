from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsageConfig(AppConfig):
    name = "kehu.usage"
    label = "usage"
    verbose_name = _("Usage")

    def ready(self) -> None:
        from kehu.usage import models, rules  # noqa: F401  (rules register permissions)
