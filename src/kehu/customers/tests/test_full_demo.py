"""The whole demo, as the README's first command loads it, has real dossiers (issue 5 §11)."""

from datetime import timedelta

import pytest
from django.db.models import Count, Max, Min
from django.utils import timezone

from kehu.churn.models import Attribution, ChurnReview
from kehu.customers.models import Account, Ownership, TimelineEntry
from kehu.demo import build_demo
from kehu.dossier.models import DossierEntry, Section, Visit
from kehu.handover.models import Handover
from kehu.usage.models import SwingAlert, UsageRecord

pytestmark = pytest.mark.django_db


def test_the_demo_has_200_bilingual_accounts_with_two_years_of_usage_and_dossiers():
    counts = build_demo()
    assert counts["accounts"] >= 200
    companies = Account.objects.filter(kind=Account.Kind.COMPANY)
    assert not companies.filter(name_en="").exists()  # bilingual
    assert Account.objects.exclude(owner=None).count() == Account.objects.count()
    assert Ownership.objects.filter(ended_at=None).count() == Account.objects.count()

    span = UsageRecord.objects.aggregate(first=Min("day"), last=Max("day"))
    assert span["last"] - span["first"] >= timedelta(days=729)
    with_usage = UsageRecord.objects.values("account").distinct().count()
    assert with_usage >= 200
    assert SwingAlert.objects.exists()

    sections = set(DossierEntry.objects.values_list("section", flat=True))
    assert {Section.ARCHITECTURE, Section.CURRENT_EVENT, Section.POSITIVE} <= sections
    assert Visit.objects.filter(status=Visit.Status.DONE).count() >= 100
    assert Visit.objects.filter(planned_on__gt=timezone.localdate()).exists()  # upcoming
    complaints = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMPLAINT)
    assert complaints.values("account").distinct().count() >= 5

    reviews = ChurnReview.objects.all()
    assert {r.attribution for r in reviews} >= set(Attribution.values)
    assert Account.objects.exclude(segment="").count() == Account.objects.count()
    assert Handover.objects.exists()

    busiest = TimelineEntry.objects.values("account").annotate(n=Count("id")).order_by("-n").first()
    assert busiest["n"] >= 20  # a page worth reading
    # Running it again adds nothing: the organisation's part is checked in org's test_demo, and
    # each dossier builder in its own app's test_demo (a second full build here would cost a
    # minute on PostgreSQL).
