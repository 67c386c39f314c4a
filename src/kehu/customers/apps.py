from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import models, rules  # noqa: F401  (rules register permissions)

        auditlog.register(models.Account, exclude_fields=["name_pinyin", "version", "updated_at"])
        auditlog.register(models.Contact, exclude_fields=["version", "updated_at"])
        auditlog.register(models.AccountTeamMember)
