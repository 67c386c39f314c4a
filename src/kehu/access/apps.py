from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "kehu.access"
    label = "access"
    verbose_name = _("Sign-in and permissions")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.access import rules  # noqa: F401  (registers the permission rules)
        from kehu.access.models import RoleAssignment, User

        auditlog.register(
            User, include_fields=["username", "email", "full_name", "is_active", "is_superuser"]
        )
        auditlog.register(RoleAssignment)
