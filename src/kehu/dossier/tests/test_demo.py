"""The demo builder fills dossiers for the accounts there are, and running it again adds nothing."""

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, AccountLevel, TimelineEntry
from kehu.dossier.demo import build_dossier_demo
from kehu.dossier.models import DossierEntry, DossierRevision, Section, Visit, VisitFollowUp


def test_demo_builds_dossiers_and_is_idempotent(world):
    assert build_dossier_demo() == {"entries": 0, "visits": 0, "follow_ups": 0}
    owner = EmployeeFactory(department=world.aftersales)
    for i, level in enumerate(
        [AccountLevel.STRATEGIC, AccountLevel.KEY, AccountLevel.STANDARD] * 2
    ):
        Account.objects.create(name=f"演示客户{i}", level=level, owner=owner if i % 2 else None)
    first = build_dossier_demo()
    assert first["entries"] > 10 and first["visits"] > 20 and first["follow_ups"] > 0
    assert DossierEntry.objects.filter(section=Section.ARCHITECTURE).exists()
    assert DossierEntry.objects.filter(section=Section.COMPLAINT).exists()
    assert DossierEntry.objects.filter(section=Section.POSITIVE).exists()
    assert Visit.objects.filter(kind=Visit.Kind.EXTRAORDINARY).exists()
    assert Visit.objects.filter(status=Visit.Status.PLANNED).exists()
    assert any(f.is_overdue() for f in VisitFollowUp.objects.all())
    assert DossierRevision.objects.filter(number=2).exists()
    assert all(e.revisions.exists() for e in DossierEntry.objects.all())
    assert TimelineEntry.objects.filter(kind=TimelineEntry.Kind.VISIT, restricted=True).count() == (
        Visit.objects.count()
    )
    counts = (DossierEntry.objects.count(), Visit.objects.count(), VisitFollowUp.objects.count())
    assert build_dossier_demo() == {"entries": 0, "visits": 0, "follow_ups": 0}
    assert counts == (
        DossierEntry.objects.count(),
        Visit.objects.count(),
        VisitFollowUp.objects.count(),
    )
