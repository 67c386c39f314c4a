from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "kehu.dossier"
    label = "dossier"
    verbose_name = _("Customer dossier")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.customers import panels as account_panels
        from kehu.dossier import models, rules  # noqa: F401  (rules register permissions)
        from kehu.dossier.panels import PANEL

        account_panels.register(PANEL)
        # Entries keep their own revisions; visits and follow-ups are audited.
        auditlog.register(
            models.Visit,
            include_fields=["kind", "status", "planned_on", "visited_on", "purpose", "summary"],
            m2m_fields={"our_attendees", "customer_attendees"},
        )
        auditlog.register(models.VisitFollowUp, include_fields=["description", "due_on", "done_at"])
