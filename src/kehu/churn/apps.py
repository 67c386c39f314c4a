from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChurnConfig(AppConfig):
    name = "kehu.churn"
    label = "churn"
    verbose_name = _("Churn reviews")

    def ready(self) -> None:
        from kehu.churn import models, rules  # noqa: F401  (rules register permissions)
