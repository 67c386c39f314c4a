"""The default stages of SPEC §5 (administrators may rename, re-weigh or add to them)."""

from django.db import migrations

DEFAULT_STAGES = [
    # code, Chinese name, English name, probability, outcome
    ("qualify", "验证", "Qualify", 10, "open"),
    ("requirements", "需求/RFI", "Requirements / RFI", 20, "open"),
    ("solution", "方案", "Solution", 40, "open"),
    ("bid", "投标/报价", "Bid / quotation", 60, "open"),
    ("negotiation", "谈判", "Negotiation", 80, "open"),
    ("won", "赢单", "Won", 100, "won"),
    ("lost", "丢单", "Lost", 0, "lost"),
]


def create(apps, schema_editor):
    Stage = apps.get_model("pipeline", "Stage")
    for position, (code, name, name_en, probability, outcome) in enumerate(DEFAULT_STAGES):
        Stage.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "name_pinyin": "",
                "position": position * 10,
                "probability": probability,
                "outcome": outcome,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("pipeline", "0001_pipeline")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
