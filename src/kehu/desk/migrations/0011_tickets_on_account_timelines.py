"""Put the tickets that existed before account timelines on them (one line per ticket)."""

from django.db import migrations


def backfill(apps, schema_editor):
    from kehu.customers.timeline import phrase
    from kehu.desk.models import Status
    from kehu.desk.priority import TicketType

    Ticket = apps.get_model("desk", "Ticket")
    TimelineEntry = apps.get_model("customers", "TimelineEntry")
    last_id = 0
    while True:
        batch = list(
            Ticket.objects.filter(pk__gt=last_id, account__isnull=False)
            .order_by("pk")
            .values("pk", "subject", "ticket_type", "status", "created_at", "account_id")[:2000]
        )
        if not batch:
            return
        entries = []
        for t in batch:
            summary = phrase(
                "%(type)s · %(status)s",
                type=TicketType(t["ticket_type"]).label,
                status=Status(t["status"]).label,
            )
            entries.append(
                TimelineEntry(
                    account_id=t["account_id"],
                    kind="complaint" if t["ticket_type"] == TicketType.COMPLAINT else "ticket",
                    source=f"desk.ticket:{t['pk']}",
                    occurred_at=t["created_at"],
                    title=f"KH-{t['pk']} {t['subject']}"[:300],
                    summary=summary.render("zh-hans"),
                    summary_en=summary.render("en"),
                    url=f"/desk/tickets/{t['pk']}/",
                    restricted=True,
                )
            )
        TimelineEntry.objects.bulk_create(entries, ignore_conflicts=True)
        last_id = batch[-1]["pk"]


class Migration(migrations.Migration):
    dependencies = [
        ("desk", "0010_open_queue_index"),
        ("customers", "0004_timeline_both_languages"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
