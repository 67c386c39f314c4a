"""Objects of the usage app for tests elsewhere (the permission matrix)."""

from __future__ import annotations

from datetime import date

from kehu.customers.models import Account
from kehu.usage.models import Product, SwingAlert, SwingRule


def usage_matrix_objects() -> dict[str, int]:
    """A product, a swing rule and an alert on an account without owner or team."""
    account = Account.objects.create(name="用量客户")
    product = Product.objects.create(code="cloud-server", name="云服务器")
    rule = SwingRule.objects.create(name="周环比")
    alert = SwingAlert.objects.create(
        account=account,
        product=product,
        rule=rule,
        day=date(2026, 3, 1),
        baseline_value=10,
        current_value=20,
        change_percent=100,
    )
    return {"usage_product": product.pk, "swing_rule": rule.pk, "swing_alert": alert.pk}
