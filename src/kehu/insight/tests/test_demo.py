"""The insight demo: reports of last month and week, health scores with history, repeatable."""

from __future__ import annotations

import pytest

from kehu.demo import build_demo
from kehu.insight.models import AccountHealth, HealthHistory, Period, Report, Subscription

pytestmark = pytest.mark.django_db


def test_the_demo_shows_reports_and_health_and_refreshes_without_duplicates():
    build_demo(dossier=False)
    periods = set(Report.objects.values_list("period", flat=True))
    assert periods == {Period.WEEK, Period.MONTH}
    company = Report.objects.get(scope_key="company", period=Period.MONTH)
    assert company.figures["volume"]["total"] > 0
    assert AccountHealth.objects.exists()
    days = HealthHistory.objects.values("day").distinct().count()
    assert days >= 9
    counts = (Report.objects.count(), HealthHistory.objects.count(), Subscription.objects.count())
    build_demo(dossier=False)
    assert (
        Report.objects.count(),
        HealthHistory.objects.count(),
        Subscription.objects.count(),
    ) == counts
