"""The demo builder on a small set of accounts: series, trends, rules, alerts; re-runnable."""

from datetime import date

from kehu.customers.models import Account
from kehu.usage.demo import build_usage_demo
from kehu.usage.models import Product, SwingAlert, SwingRule, UsageRecord


def test_demo_builds_series_and_alerts_and_can_run_again(db):
    accounts = [Account.objects.create(name=f"演示客户{n}") for n in range(18)]
    last = date(2026, 11, 20)
    counts = build_usage_demo(Account.objects.all(), days=120, last=last)
    per_account = {a.pk: 1 + a.pk % 3 for a in accounts}
    assert counts["records"] == 120 * sum(per_account.values())
    assert UsageRecord.objects.count() == counts["records"]
    assert set(Product.objects.values_list("code", flat=True)) == {
        "cloud-server",
        "object-storage",
        "cdn",
    }
    assert SwingRule.objects.filter(is_active=True).count() == 2
    assert counts["alerts"] > 0 and SwingAlert.objects.count() == counts["alerts"]
    # Double 11 peak on CDN; some accounts have a known total spend (share of wallet).
    cdn = UsageRecord.objects.filter(product__code="cdn").order_by("account_id")
    peak = cdn.filter(day=date(2026, 11, 11)).first()
    ordinary = cdn.filter(account_id=peak.account_id, day=date(2026, 10, 20)).get()
    assert peak.quantity > ordinary.quantity * 2
    assert UsageRecord.objects.filter(total_spend__isnull=False).exists()
    again = build_usage_demo(Account.objects.all(), days=120, last=last)
    assert again["records"] == counts["records"] and again["alerts"] == 0
    assert UsageRecord.objects.count() == counts["records"]
    assert SwingRule.objects.count() == 2


def test_demo_with_no_accounts_does_no_harm(db):
    assert build_usage_demo(days=30)["records"] == 0
