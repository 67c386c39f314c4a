from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "kehu.audit"
    label = "audit"
    verbose_name = _("Audit history")

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from kehu.audit.context import stamp_entry
        from kehu.audit.models import AuditEntry

        pre_save.connect(stamp_entry, sender=AuditEntry, dispatch_uid="kehu.audit.stamp_entry")
