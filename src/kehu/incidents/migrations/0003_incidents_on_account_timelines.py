"""Put the major incidents that existed before account timelines on their accounts' ones."""

from django.db import migrations


def backfill(apps, schema_editor):
    from kehu.customers.timeline import phrase
    from kehu.incidents.models import IncidentSeverity, IncidentStatus

    MajorIncident = apps.get_model("incidents", "MajorIncident")
    TimelineEntry = apps.get_model("customers", "TimelineEntry")
    links = MajorIncident.affected_accounts.through.objects.values_list(
        "majorincident_id", "account_id"
    )
    incidents = {i.pk: i for i in MajorIncident.objects.all()}
    entries = []
    for incident_id, account_id in links:
        incident = incidents[incident_id]
        summary = phrase(
            "%(severity)s · %(status)s",
            severity=IncidentSeverity(incident.severity).label,
            status=IncidentStatus(incident.status).label,
        )
        entries.append(
            TimelineEntry(
                account_id=account_id,
                kind="incident",
                source=f"incidents.incident:{incident_id}@{account_id}",
                occurred_at=incident.declared_at,
                title=f"MI-{incident_id} {incident.title}"[:300],
                summary=summary.render("zh-hans"),
                summary_en=summary.render("en"),
                url=f"/incidents/{incident_id}/",
            )
        )
    TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_closed_at_label"),
        ("customers", "0004_timeline_both_languages"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
