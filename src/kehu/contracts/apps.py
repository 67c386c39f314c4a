from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "kehu.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from kehu.contracts import models, rules  # noqa: F401  (rules register permissions)
        from kehu.contracts.from_pipeline import on_opportunity_won
        from kehu.pipeline.signals import opportunity_won

        opportunity_won.connect(on_opportunity_won, dispatch_uid="contracts.draft_from_won_deal")

        excluded = ["version", "updated_at", "created_at", "chain_head", "chain_length"]
        auditlog.register(models.Contract, exclude_fields=excluded)
        auditlog.register(models.ChangeOrder, exclude_fields=excluded)
        auditlog.register(models.ContractTemplate, exclude_fields=excluded)
        auditlog.register(models.Clause)
        auditlog.register(models.RiskRule, exclude_fields=excluded)
        auditlog.register(models.ApprovalPolicy, exclude_fields=excluded)
        auditlog.register(models.PolicyStep)
