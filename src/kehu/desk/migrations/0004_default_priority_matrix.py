"""Create the priority matrix with its defaults, so the first person to look does not create it."""

from django.db import migrations

IMPACTS = ["individual", "group", "organisation", "widespread"]
SEVERITIES = ["low", "medium", "high", "critical"]
ROWS = [
    ["low", "normal", "normal", "high"],
    ["low", "normal", "high", "high"],
    ["normal", "high", "high", "urgent"],
    ["normal", "high", "urgent", "urgent"],
]


def create_matrix(apps, schema_editor):
    PriorityMatrix = apps.get_model("desk", "PriorityMatrix")
    cells = {f"{i}:{s}": p for i, row in zip(IMPACTS, ROWS) for s, p in zip(SEVERITIES, row)}
    PriorityMatrix.objects.get_or_create(pk=1, defaults={"cells": cells})


class Migration(migrations.Migration):
    dependencies = [("desk", "0003_sla_policies")]
    operations = [migrations.RunPython(create_matrix, migrations.RunPython.noop)]
