"""Builders for pipeline tests: an account owned by the account manager, opportunities on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kehu.conftest import EmployeeFactory, World
from kehu.customers.models import Account
from kehu.org.models import Employee
from kehu.pipeline import services
from kehu.pipeline.defaults import ensure_default_stages
from kehu.pipeline.models import Opportunity, Stage


@dataclass
class Sales:
    account: Account
    owner: Employee  # the account_manager persona, in finance
    colleague: Employee  # the agent persona, in support (an SR on opportunities)


def sales(world: World, name: str = "华东物流有限公司") -> Sales:
    owner = EmployeeFactory(department=world.finance, user=world.account_manager)
    colleague = EmployeeFactory(department=world.support, user=world.agent)
    account = Account.objects.create(name=name, owner=owner)
    return Sales(account, owner, colleague)


def stage(code: str) -> Stage:
    return Stage.objects.get(code=code)


def opportunity(
    account: Account,
    name: str = "仓储系统升级",
    *,
    amount: str = "100000.00",
    by: Any = None,
    expected_close: date | None = None,
    **fields: Any,
) -> Opportunity:
    return services.opportunity_create(
        by=by,
        account=account,
        name=name,
        amount=Decimal(amount),
        expected_close=expected_close or timezone.localdate() + timedelta(days=30),
        **fields,
    )


def matrix_objects(world: World) -> dict[str, int]:
    """Objects for the permission matrix: an opportunity and a lead nobody of the personas is on."""
    ensure_default_stages()
    account = Account.objects.create(name="管道测试公司")
    found = opportunity(account, "矩阵商机")
    lead = services.lead_create(title="矩阵线索", source="website", prospect_name="某公司")
    competitor = services.competitor_add(opportunity=found, name="友商")
    return {
        "pipeline_opportunity": found.pk,
        "pipeline_lead": lead.pk,
        "pipeline_competitor": competitor.pk,
    }
