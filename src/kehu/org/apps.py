from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "kehu.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.org import models, rules  # noqa: F401  (rules register permissions)

        for model in (
            models.Department,
            models.Team,
            models.Employee,
            models.KeyRole,
            models.Service,
            models.InternalRelation,
            models.InterfaceAssignment,
        ):
            auditlog.register(model, exclude_fields=["name_pinyin", "updated_at", "version"])
        auditlog.register(models.Service.allowed_departments.through)
