"""The relationship demo: three key accounts with full maps, teams and calls for fire; a second
run changes nothing."""

import pytest

from kehu.customers.models import Account
from kehu.org.demo import build_org_demo
from kehu.org.models import Employee
from kehu.relations.demo import build_relations_demo
from kehu.relations.models import FireRequest, Interaction, IronTriangle, Person

pytestmark = pytest.mark.django_db


def test_the_demo_builds_three_full_maps_once():
    build_org_demo()
    owners = list(Employee.objects.filter(department__code="SALES").order_by("pk")[:3])
    for n in range(3):
        Account.objects.create(name=f"演示重点客户{n}", level="key", owner=owners[n % len(owners)])
    first = build_relations_demo()
    assert first == {"accounts": 3, "people": 96}
    counts = (
        Person.objects.count(),
        Interaction.objects.count(),
        IronTriangle.objects.count(),
        FireRequest.objects.count(),
    )
    assert counts[0] == 96 and counts[1] == 78 and counts[2] == 3 and counts[3] >= 3
    assert build_relations_demo() == first
    again = (
        Person.objects.count(),
        Interaction.objects.count(),
        IronTriangle.objects.count(),
        FireRequest.objects.count(),
    )
    assert again == counts
    assert Person.objects.filter(is_coach=True).count() == 3
    assert Person.objects.filter(reports_to__isnull=True).count() == 3  # one chart per account
