from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "kehu.dossier"
    label = "dossier"
    verbose_name = _("Customer dossier")

    def ready(self) -> None:
        from kehu.dossier import models, rules  # noqa: F401  (rules register permissions)
