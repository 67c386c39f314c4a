from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "kehu.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.desk import hooks
        from kehu.kb import models, rules  # noqa: F401  (rules register permissions)
        from kehu.kb.portal_views import portal_request_helper
        from kehu.kb.views import reply_tool

        # The desk sits below the knowledge base: it offers slots, the knowledge base fills them.
        hooks.register(hooks.PORTAL_REQUEST_FORM, portal_request_helper)
        hooks.register(hooks.TICKET_REPLY_TOOLS, reply_tool)
        excluded = ["version", "updated_at", "created_at"]
        auditlog.register(models.KbCategory, exclude_fields=excluded)
        auditlog.register(models.Article, exclude_fields=excluded)
        # Bodies are kept whole in ArticleRevision (with diffs); the audit log records the rest.
        auditlog.register(models.ArticleTranslation, exclude_fields=[*excluded, "body"])
