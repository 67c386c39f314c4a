import pytest

from kehu.access.models import RoleAssignment, User
from kehu.demo import build_demo
from kehu.org.models import Department, Employee, InternalRelation, KeyRole, RelationType, Service

pytestmark = pytest.mark.django_db


def test_demo_builds_a_bilingual_organisation_with_every_relation_type():
    counts = build_demo(dossier=False)
    assert counts["departments"] >= 8 and counts["employees"] >= 40
    assert set(InternalRelation.objects.values_list("relation_type", flat=True)) == set(
        RelationType.values
    )
    assert not Department.objects.filter(name_en="").exists()
    assert Service.objects.filter(department__code="FIN").count() >= 2
    assert all(k.backup_id and k.backup_id != k.primary_id for k in KeyRole.objects.all())
    assert Employee.objects.filter(is_away=True).exists()  # so backups actually take over somewhere


def test_demo_is_idempotent():
    # The dossier's builders check their own idempotence (kehu.customers.tests.test_full_demo
    # and each app's test_demo); this covers the organisation and the desk.
    first = build_demo(dossier=False)
    users = User.objects.count()
    roles = RoleAssignment.objects.count()
    second = build_demo(dossier=False)
    assert first == second
    assert (User.objects.count(), RoleAssignment.objects.count()) == (users, roles)
