from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompassConfig(AppConfig):
    name = "kehu.compass"
    label = "compass"
    verbose_name = _("Product requirement compass")

    def ready(self) -> None:
        from kehu.compass import rules  # noqa: F401  (rules register permissions)
