"""Account health: factors from the registry, contributions, history, alerts, settings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.conftest import client_for
from kehu.customers.models import Account
from kehu.insight import health, health_services
from kehu.insight.models import AccountHealth, HealthHistory, HealthRun
from kehu.insight.tests.factories import scene
from kehu.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_each_factor_contributes_its_share_and_they_add_up_to_the_score(world):
    s = scene(world)
    health_services.recompute()
    mine = AccountHealth.objects.get(account=s.account)
    factors = mine.factors
    assert set(factors) == set(health.FACTORS)
    assert factors["usage_trend"]["score"] is None  # no usage recorded: no data, not zero
    assert factors["incidents"]["score"] == 50  # one SEV 1 in the last 90 days
    assert factors["satisfaction"]["score"] == 0  # rated 1 of 5
    assert abs(sum(f["contribution"] for f in factors.values()) - mine.score) <= 1
    calm = AccountHealth.objects.get(account=s.other)
    assert calm.score > mine.score
    assert HealthHistory.objects.filter(day=timezone.localdate()).count() == Account.objects.count()


def test_usage_falling_lowers_the_usage_factor(world):
    from kehu.usage.models import Product, UsageRecord

    s = scene(world)
    product = Product.objects.create(code="cloud", name="云主机")
    today = timezone.localdate()
    for days_ago, spend in ((45, "100"), (10, "40")):
        UsageRecord.objects.create(
            account=s.account,
            product=product,
            day=today - timedelta(days=days_ago),
            quantity=Decimal(1),
            spend=Decimal(spend),
        )
    health_services.recompute()
    usage = AccountHealth.objects.get(account=s.account).factors["usage_trend"]
    assert usage["detail"]["ratio"] == 0.4 and usage["score"] == 0


def test_weights_are_configurable_and_a_zero_weight_leaves_a_factor_out(world):
    s = scene(world)
    row = health_services.settings_row()
    weights = dict.fromkeys(health.FACTORS, 0) | {"incidents": 10}
    health_services.settings_update(weights=weights, thresholds=[50], expected_version=row.version)
    health_services.recompute()
    assert AccountHealth.objects.get(account=s.account).score == 50
    stale = client_for(world.admin).put(
        "/api/insight/health/settings",
        {"weights": weights, "thresholds": [50], "version": row.version},
        content_type="application/json",
    )
    assert stale.status_code == 409
    unknown = client_for(world.admin).put(
        "/api/insight/health/settings",
        {"weights": {"astrology": 5}, "thresholds": [50], "version": row.version + 1},
        content_type="application/json",
    )
    assert unknown.status_code == 422
    assert client_for(world.lead).get("/api/insight/health/settings").status_code == 403


def test_the_owner_is_told_once_when_the_score_falls_across_a_threshold(world):
    from kehu.incidents.models import MajorIncident

    s = scene(world)
    s.account.owner.user = world.account_manager
    s.account.owner.save()
    health_services.recompute(timezone.localdate() - timedelta(days=1))
    before = AccountHealth.objects.get(account=s.account).score
    for _ in range(2):
        MajorIncident.objects.create(title="又断电", severity="sev1").affected_accounts.add(
            s.account
        )
    health_services.recompute()
    after = AccountHealth.objects.get(account=s.account).score
    assert after < 40 <= before or after < 60 <= before
    [note] = Notification.objects.filter(
        recipient=world.account_manager, event="insight.health_drop"
    )
    assert "甲公司" in note.title
    health_services.recompute()  # still below: no second alert
    assert Notification.objects.filter(event="insight.health_drop").count() == 1


def test_the_daily_run_happens_once(world):
    scene(world)
    assert health_services.run_daily() == Account.objects.count()
    assert health_services.run_daily() is None
    assert HealthRun.objects.count() == 1


def test_health_pages_list_by_score_and_change_and_show_the_factors(
    world, django_assert_max_num_queries
):
    s = scene(world)
    health_services.recompute(timezone.localdate() - timedelta(days=31))
    health_services.run_daily()
    client = client_for(world.after_sales)
    with django_assert_max_num_queries(12):
        page = client.get("/insight/health/?order=change")
    assert page.status_code == 200 and b"health-list" in page.content
    detail = client.get(f"/insight/health/accounts/{s.account.pk}/")
    assert b"health-factors" in detail.content and b"<svg" in detail.content
    api = client.get(f"/api/insight/health/accounts/{s.account.pk}").json()
    assert {f["key"] for f in api["factors"]} == set(health.FACTORS)
    assert len(api["history"]) == 2
    listed = client.get("/api/insight/health?order=score").json()
    assert [row["score"] for row in listed] == sorted(row["score"] for row in listed)
    assert (
        client_for(world.customer_a).get(f"/insight/health/accounts/{s.account.pk}/").status_code
        == 404
    )
    assert client.get("/insight/health/?format=xlsx")["Content-Type"].startswith("application/vnd")
