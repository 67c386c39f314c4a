from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from kehu.customers.models import Account, SegmentChange
from kehu.segments.demo import build_segments_demo
from kehu.segments.models import SegmentRule
from kehu.usage.models import Product, UsageRecord


def test_demo_without_usage_and_twice(db):
    SegmentRule.objects.all().delete()
    for n in range(14):
        Account.objects.create(name=f"客户{n}", customer_since=date(2020, 1, 1))
    result = build_segments_demo()
    assert SegmentRule.objects.count() == 5
    assert Account.objects.filter(uses_competitors=True).count() == 2
    overridden = Account.objects.get(pk=result["overridden"])
    assert overridden.segment == "loyal" and overridden.segment_override_reason
    assert set(Account.objects.exclude(pk=overridden.pk).values_list("segment", flat=True)) == {
        "potential"
    }
    changes = SegmentChange.objects.count()
    again = build_segments_demo()
    assert again["changed"] == 0 and SegmentChange.objects.count() == changes


def test_demo_with_usage(db):
    product = Product.objects.create(code="cdn", name="CDN")
    account = Account.objects.create(name="老客户", customer_since=date(2018, 1, 1))
    today = timezone.localdate()
    UsageRecord.objects.bulk_create(
        UsageRecord(
            account=account,
            product=product,
            day=today - timedelta(days=n),
            quantity=Decimal(5),
            spend=Decimal(10),
            total_spend=Decimal(12),
        )
        for n in range(90)
    )
    build_segments_demo()
    assert Account.objects.get(pk=account.pk).segment == "loyal"
