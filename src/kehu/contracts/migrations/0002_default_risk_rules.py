"""The risk rules a new installation starts with (kehu.contracts.risk.DEFAULT_RULES, copied
here so the migration never changes when the code does)."""

from django.db import migrations

RULES = [
    ("no-acceptance-criteria", "missing", "acceptance_criteria", "high", "", "缺少验收标准", "No acceptance criteria"),
    ("no-change-cost-clause", "missing", "change_terms", "medium", "", "缺少变更费用条款", "No change-cost clause"),
    ("no-liability-cap", "missing", "liability_cap", "high", "legal", "未约定责任上限", "No liability cap"),
    ("no-payment-milestone", "missing", "payment_milestones", "medium", "finance", "缺少付款里程碑", "No payment milestone"),
    (
        "unlimited-service",
        "clause",
        r"无限期(免费)?(服务|维护|支持)|不限次数|永久(免费)?(服务|维护|支持)|unlimited (support|service|maintenance)|(support|service|maintenance) in perpetuity",
        "high",
        "",
        "无限服务义务",
        "Unlimited service obligation",
    ),
    (
        "uncapped-penalty",
        "clause",
        r"违约金(不设|无)上限|不设(赔偿|违约金)上限|uncapped (penalt|liquidated damages)|penalt(y|ies) (without|with no) (a )?(cap|limit)",
        "high",
        "legal",
        "违约金不设上限",
        "Uncapped penalties",
    ),
    (
        "unlimited-liability",
        "clause",
        r"无限(连带)?责任|承担(一切|全部)(损失|责任)|unlimited liability|liable for all (losses|damages)",
        "high",
        "legal",
        "无限责任",
        "Unlimited liability",
    ),
    ("automatic-renewal", "clause", r"自动续(约|期|签)|automatic(ally)? renew|auto-renew", "low", "", "自动续约", "Automatic renewal"),
    ("long-payment-term", "payment_days", "90", "medium", "finance", "付款期超过 90 天", "Payment term beyond 90 days"),
]


def create(apps, schema_editor):
    RiskRule = apps.get_model("contracts", "RiskRule")
    for code, kind, parameter, severity, role, title_zh, title_en in RULES:
        RiskRule.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "parameter": parameter,
                "severity": severity,
                "adds_approver_role": role,
                "title_zh": title_zh,
                "title_en": title_en,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_contracts_approvals_changes")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
