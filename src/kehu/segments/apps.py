from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    name = "kehu.segments"
    label = "segments"
    verbose_name = _("Customer segments")

    def ready(self) -> None:
        from kehu.segments import models, rules  # noqa: F401  (rules register permissions)
