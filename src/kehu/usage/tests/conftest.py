"""Fixtures of the usage tests: products, an owned account and a way to write daily series."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account
from kehu.usage.models import Product, SwingRule, UsageRecord

DAY = date(2026, 3, 15)  # a Sunday


@pytest.fixture
def products(db: None) -> dict[str, Product]:
    return {
        "vm": Product.objects.create(code="cloud-server", name="云服务器", name_en="Cloud servers"),
        "oss": Product.objects.create(code="object-storage", name="对象存储", unit="TB"),
    }


@pytest.fixture
def owner_user(world: Any) -> Any:
    EmployeeFactory(user=world.account_manager)
    return world.account_manager


@pytest.fixture
def account(world: Any, owner_user: Any) -> Account:
    return Account.objects.create(name="华东电商有限公司", owner=owner_user.employee)


def write(account: Account, product: Product, values: dict[date, Any], spend: bool = False) -> None:
    """Store ``values`` by day (None leaves the day out: a gap)."""
    UsageRecord.objects.bulk_create(
        UsageRecord(
            account=account,
            product=product,
            day=day,
            quantity=Decimal(str(value)),
            spend=Decimal(str(value)) * 2 if spend else None,
        )
        for day, value in values.items()
        if value is not None
    )


def days(end: date, count: int, value: Any) -> dict[date, Any]:
    """``count`` days ending ``end``, each with ``value``."""
    return {end - timedelta(days=n): value for n in range(count)}


def rule(**fields: Any) -> SwingRule:
    defaults: dict[str, Any] = {
        "name": "周环比",
        "baseline": SwingRule.Baseline.WEEK_OVER_WEEK,
        "threshold_percent": 30,
    }
    return SwingRule.objects.create(**(defaults | fields))
