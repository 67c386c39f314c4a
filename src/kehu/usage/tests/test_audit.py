"""Products, swing rules and swing alerts (their acknowledgement) are in the audit history."""

import pytest

from kehu.audit.models import AuditEntry
from kehu.usage.models import Product, SwingAlert, SwingRule
from kehu.usage.tests.factories import usage_matrix_objects

pytestmark = pytest.mark.django_db


def test_products_rules_and_alerts_are_audited():
    ids = usage_matrix_objects()
    product = Product.objects.get(pk=ids["usage_product"])
    rule = SwingRule.objects.get(pk=ids["swing_rule"])
    alert = SwingAlert.objects.get(pk=ids["swing_alert"])
    for row in (product, rule, alert):
        assert AuditEntry.objects.get_for_object(row).count() == 1, row
    alert.status = SwingAlert.Status.ACKNOWLEDGED
    alert.note = "客户季节性减少"
    alert.save()
    changed = AuditEntry.objects.get_for_object(alert).first()
    assert "status" in changed.changes_dict and "note" in changed.changes_dict
