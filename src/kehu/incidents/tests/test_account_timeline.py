"""Major incidents appear on the timelines of the accounts they affected."""

from kehu.customers.models import Account, TimelineEntry
from kehu.incidents.models import IncidentStatus, MajorIncident


def test_affected_accounts_get_a_line_that_follows_the_incident(db):
    first, second = Account.objects.create(name="甲公司"), Account.objects.create(name="乙公司")
    incident = MajorIncident.objects.create(title="机房断电")
    incident.affected_accounts.add(first, second)
    lines = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.INCIDENT)
    assert sorted(lines.values_list("account__name", flat=True)) == ["乙公司", "甲公司"]
    assert lines.first().title == f"{incident.reference} 机房断电"

    incident.status = IncidentStatus.RESOLVED
    incident.save()
    assert {line.summary_en.split(" · ")[1] for line in lines.all()} == {"Resolved"}

    incident.affected_accounts.remove(second)
    assert list(lines.values_list("account__name", flat=True)) == ["甲公司"]
    first.major_incidents.clear()
    assert not lines.exists()
