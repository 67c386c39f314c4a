"""The default segment rules of SPEC §3, so a new installation computes segments at once."""

from decimal import Decimal

from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "No purchases in the last year",
        "segment": "potential",
        "position": 10,
        "max_spend_365": Decimal("0"),
    },
    {
        "name": "Also buys from competitors",
        "segment": "floating",
        "position": 20,
        "uses_competitors": "yes",
    },
    {
        "name": "Less than 60 % share of wallet",
        "segment": "floating",
        "position": 30,
        "max_share_of_wallet_percent": 60,
    },
    {
        "name": "Long-standing and active",
        "segment": "loyal",
        "position": 40,
        "min_tenure_months": 24,
        "min_active_days_90": 60,
    },
    {"name": "Everyone else", "segment": "floating", "position": 1000},
]


def create(apps, schema_editor):
    SegmentRule = apps.get_model("segments", "SegmentRule")
    if SegmentRule.objects.exists():
        return
    for fields in DEFAULT_RULES:
        SegmentRule.objects.create(**fields)


class Migration(migrations.Migration):
    dependencies = [("segments", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
