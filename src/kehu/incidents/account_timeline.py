"""Major incidents on the timelines of the accounts they affected (one line per account)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_save
from django.urls import reverse
from django.utils.translation import gettext_noop

from kehu.customers import timeline
from kehu.customers.models import TimelineEntry
from kehu.incidents.models import IncidentSeverity, IncidentStatus, MajorIncident

KIND = TimelineEntry.Kind.INCIDENT


def source_of(incident_id: int, account_id: int) -> str:
    return f"incidents.incident:{incident_id}@{account_id}"


def _fields(incident: MajorIncident) -> dict[str, Any]:
    return {
        "occurred_at": incident.declared_at,
        "title": f"{incident.reference} {incident.title}",
        "summary": timeline.phrase(
            gettext_noop("%(severity)s · %(status)s"),
            severity=IncidentSeverity(incident.severity).label,
            status=IncidentStatus(incident.status).label,
        ),
        "url": reverse("incidents:detail", args=[incident.pk]),
    }


def on_accounts_changed(
    sender: Any, *, instance: Any, action: str, reverse: bool, pk_set: Any, **_: Any
) -> None:
    """m2m_changed of MajorIncident.affected_accounts, from either side of the relation."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if action == "pre_clear":  # pk_set is not given: the relation is about to be emptied
        related = instance.major_incidents if reverse else instance.affected_accounts
        pk_set = set(related.values_list("pk", flat=True))
    if reverse:  # account.major_incidents.add(incident, …)
        pairs = [(incident_id, instance.pk) for incident_id in pk_set or ()]
    else:
        pairs = [(instance.pk, account_id) for account_id in pk_set or ()]
    if action != "post_add":
        for incident_id, account_id in pairs:
            timeline.forget(source=source_of(incident_id, account_id), kind=KIND)
        return
    incidents = MajorIncident.objects.in_bulk({incident_id for incident_id, _a in pairs})
    for incident_id, account_id in pairs:
        incident = incidents[incident_id]
        timeline.record(
            account_id=account_id,
            kind=KIND,
            source=source_of(incident_id, account_id),
            restricted=False,
            **_fields(incident),
        )


def on_incident_saved(sender: Any, *, instance: MajorIncident, created: bool, **_: Any) -> None:
    """Keep the lines' title and status current as the incident moves."""
    if created:
        return
    fields = _fields(instance)
    title, summary = fields["title"], fields["summary"]
    TimelineEntry.objects.filter(
        kind=KIND, source__startswith=f"incidents.incident:{instance.pk}@"
    ).update(
        occurred_at=fields["occurred_at"],
        title=title,
        summary=summary.render("zh-hans"),
        summary_en=summary.render("en"),
    )


def connect() -> None:
    m2m_changed.connect(
        on_accounts_changed,
        sender=MajorIncident.affected_accounts.through,
        dispatch_uid="kehu.incidents.timeline",
    )
    post_save.connect(
        on_incident_saved, sender=MajorIncident, dispatch_uid="kehu.incidents.timeline.saved"
    )
