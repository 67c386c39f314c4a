"""Builders for contract tests: a type with a policy, approvers by role, a priced draft."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kehu.access.models import Role
from kehu.conftest import World, make_user
from kehu.contracts import services
from kehu.contracts.models import (
    ApprovalPolicy,
    ApproverKind,
    Contract,
    ContractType,
    PolicyStep,
)
from kehu.customers.models import Account


def elements(**overrides: Any) -> dict[str, Any]:
    """Complete elements of a small sale: two lines, two milestones, every term filled in."""
    data: dict[str, Any] = {
        "title": "云服务器采购合同",
        "currency": "CNY",
        "payment_model": "milestones",
        "payment_days": 30,
        "delivery_place": "上海市浦东新区",
        "delivery_due": "2026-12-31",
        "delivery_method": "现场安装",
        "responsibilities": "乙方负责安装调试。",
        "acceptance_criteria": "系统连续运行 72 小时无故障。",
        "advance_percent": "30",
        "liability_cap_percent": "100",
        "liability_terms": "任何一方的赔偿责任以合同总额为限。",
        "change_terms": "变更引起的费用由提出方承担。",
        "dispute_terms": "提交上海仲裁委员会仲裁。",
        "effective_on": "2026-01-01",
        "lines": [
            {
                "kind": "product",
                "name": "服务器",
                "quantity": "10",
                "unit": "台",
                "unit_price": "10000.00",
                "discount_percent": "10",
                "tax_rate": "13",
            },
            {
                "kind": "service",
                "name": "驻场运维",
                "quantity": "12",
                "unit": "月",
                "unit_price": "5000",
                "tax_rate": "6",
            },
        ],
        "milestones": [
            {"name": "预付款", "trigger": "signing", "percent": "30"},
            {"name": "终验款", "trigger": "final_acceptance", "percent": "70"},
        ],
    }
    data.update(overrides)
    return data


@dataclass
class Setup:
    contract_type: ContractType
    policy: ApprovalPolicy
    account: Account
    finance: Any
    legal: Any
    boss: Any


def setup(world: World, *, parallel_mode: str = "all") -> Setup:
    """A sales type whose policy asks finance and legal in parallel, then management from
    100,000 CNY."""
    contract_type = ContractType.objects.create(code="sales", name="销售合同", name_en="Sales")
    policy = ApprovalPolicy.objects.create(name="销售审批", contract_type=contract_type)
    PolicyStep.objects.create(
        policy=policy, position=1, name="财务", approver_kind=ApproverKind.ROLE, role=Role.FINANCE
    )
    PolicyStep.objects.create(
        policy=policy, position=1, name="法务", approver_kind=ApproverKind.ROLE, role=Role.LEGAL
    )
    PolicyStep.objects.create(
        policy=policy,
        position=2,
        name="管理层",
        approver_kind=ApproverKind.ROLE,
        role=Role.MANAGEMENT,
        min_amount_cny=100000,
        mode=parallel_mode,
    )
    return Setup(
        contract_type,
        policy,
        Account.objects.create(name="华东物流有限公司"),
        make_user("finance", (Role.FINANCE, None)),
        make_user("legal", (Role.LEGAL, None)),
        make_user("boss", (Role.MANAGEMENT, None)),
    )


def draft(world: World, s: Setup, **overrides: Any) -> Contract:
    return services.contract_create(
        by=world.account_manager,
        account=s.account,
        contract_type=s.contract_type,
        elements=elements(**overrides),
    )


def matrix_objects(world: World) -> dict[str, int]:
    """Objects for the permission matrix: an approved format contract of the administrator's
    (with an uploaded document, two versions and a change order) that no other persona owns."""
    from django.core.files.base import ContentFile

    from kehu.contracts.models import ChangeOrder, ContractTemplate, ContractVersion, Status

    contract_type = ContractType.objects.create(code="matrix", name="矩阵合同")
    template = ContractTemplate.objects.create(
        contract_type=contract_type,
        name="模板",
        language="zh-hans",
        body="{{ number }}\n{{ lines }}",
    )
    account = Account.objects.create(name="合同矩阵公司")
    contract = services.contract_create(
        by=world.admin,
        account=account,
        contract_type=contract_type,
        elements=elements(),
        template=template,
    )
    contract.document.save("signed.txt", ContentFile(b"signed"))
    Contract.objects.filter(pk=contract.pk).update(status=Status.APPROVED)
    services.snapshot_version(contract, world.admin)
    services.snapshot_version(contract, world.admin)
    change = ChangeOrder.objects.create(
        contract=contract,
        number=1,
        reason="r",
        proposed=ContractVersion.objects.filter(contract=contract).first().elements,
        base_revision=1,
        cost_impact=0,
        created_by=world.admin,
    )
    return {"contract": contract.pk, "change_order": change.pk, "approval_step": 1}
