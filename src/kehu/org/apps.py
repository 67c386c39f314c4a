from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "kehu.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.core import registry
        from kehu.org import models, rules  # noqa: F401  (rules register permissions)
        from kehu.org.selectors import organisation_counts
        from kehu.org.views import organisation_detail_url

        # The platform's dashboard and `detail_url` filter show organisation objects.
        registry.register_dashboard_counts(organisation_counts)
        registry.register_detail_url(organisation_detail_url)

        for model in (
            models.Department,
            models.Team,
            models.Employee,
            models.KeyRole,
            models.Service,
            models.InternalRelation,
            models.InterfaceAssignment,
        ):
            # Only the object's own columns: reverse relations are other objects' history.
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if f.name not in ("id", "name_pinyin", "created_at", "updated_at", "version")
            ]
            auditlog.register(
                model,
                include_fields=fields,
                m2m_fields={"allowed_departments"} if model is models.Service else None,
            )
