"""The contracts part of the demo: three contract types with their approval policies, a
bilingual clause library (one clause in its second version), templates, the finance, legal,
management and sales demo users, and 220 contracts over the past year in every status, with
their hash-chained approval trails, versions and a few applied change orders.

Lean and repeatable: the demo contracts (numbers ``HT-DEMO-…``) are replaced as a whole on each
run, written with a handful of bulk inserts.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from kehu.access.models import Role, RoleAssignment, User
from kehu.contracts import chain
from kehu.contracts import elements as el
from kehu.contracts.models import (
    ApprovalAssignee,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRun,
    ApprovalStep,
    ApproverKind,
    ChangeOrder,
    ChangeStatus,
    Clause,
    Contract,
    ContractLine,
    ContractSearchDocument,
    ContractTemplate,
    ContractType,
    ContractVersion,
    PaymentMilestone,
    PolicyStep,
    RunStatus,
    Status,
    StatusChange,
    StepStatus,
)
from kehu.contracts.services import TRANSITIONS
from kehu.customers import timeline
from kehu.customers.models import Account, TimelineEntry
from kehu.desk.search import document_tokens
from kehu.org.models import Employee

SEED = 15
PREFIX = "HT-DEMO-"
COUNT = 220
DEMO_PASSWORD = "kehu-demo"  # noqa: S105 — the demo's published password (org.demo's)

CONTRACT_DEMO_USERS: list[
    tuple[str, str, list[tuple[Role, str | None]], tuple[str, int] | None]
] = [
    # username, full name, roles, employee (department code, index) or None
    ("sales", "销售经理 Sales", [(Role.ACCOUNT_MANAGER, None)], ("SALES", 1)),
    ("finance", "财务经理 Finance", [(Role.FINANCE, None)], ("FIN", 0)),
    ("legal", "法务 Legal", [(Role.LEGAL, None)], ("LEGAL", 0)),
    ("manager", "总经理 Management", [(Role.MANAGEMENT, None)], ("HQ", 0)),
]

TYPES = [
    ("sales", "销售合同", "Sales contract"),
    ("service", "服务合同", "Service contract"),
    ("framework", "框架协议", "Framework agreement"),
]

CLAUSES = [
    (
        "payment",
        "付款",
        "Payment",
        "买方应按付款里程碑在收到发票后三十日内付款。",
        "The buyer pays each milestone within 30 days of the invoice.",
    ),
    (
        "acceptance",
        "验收",
        "Acceptance",
        "验收分初验与终验，以合同约定的验收标准为准。",
        "Acceptance has an initial and a final stage, against the agreed criteria.",
    ),
    (
        "liability",
        "违约责任",
        "Liability",
        "任何一方的累计赔偿责任以合同总额为限。",
        "Each party's aggregate liability is capped at the contract value.",
    ),
    (
        "change",
        "合同变更",
        "Changes",
        "任何变更须书面提出，变更引起的费用由提出方承担。",
        "Changes are made in writing; their cost is borne by the party requesting them.",
    ),
    (
        "dispute",
        "争议解决",
        "Disputes",
        "争议提交上海国际仲裁中心仲裁。",
        "Disputes go to the Shanghai International Arbitration Center.",
    ),
    (
        "force-majeure",
        "不可抗力",
        "Force majeure",
        "因不可抗力不能履行的，受影响方应在十日内书面通知对方。",
        "A party prevented by force majeure notifies the other in writing within 10 days.",
    ),
]

TEMPLATE_ZH = """# {{ title }}
合同编号：{{ number }}
甲方（买方）：{{ account }}
乙方（卖方）：{{ our_party }}
# 一、标的物
{{ lines }}
# 二、价格与付款
合同总价（含税）：{{ total }}，付款方式：{{ payment_model }}，付款期限 {{ payment_days }} 天。
{{ milestones }}
{{ clause:payment }}
# 三、交付与验收
交付地点：{{ delivery_place }}；交付期限：{{ delivery_due }}；交付方式：{{ delivery_method }}。
验收标准：{{ acceptance_criteria }}
{{ clause:acceptance }}
# 四、商业法务
{{ clause:liability }}
{{ clause:change }}
{{ clause:force-majeure }}
{{ clause:dispute }}
生效日期：{{ effective_on }}；终止日期：{{ terminates_on }}。
"""

TEMPLATE_EN = """# {{ title }}
Contract no. {{ number }}
Buyer: {{ account }}
Seller: {{ our_party }}
# 1 Subject matter
{{ lines }}
# 2 Price and payment
Total (tax included): {{ total }}; payment: {{ payment_model }}, within {{ payment_days }} days.
{{ milestones }}
{{ clause:payment }}
# 3 Delivery and acceptance
Place: {{ delivery_place }}; deadline: {{ delivery_due }}; method: {{ delivery_method }}.
Criteria: {{ acceptance_criteria }}
{{ clause:acceptance }}
# 4 Legal
{{ clause:liability }}
{{ clause:change }}
{{ clause:dispute }}
Effective {{ effective_on }}, terminates {{ terminates_on }}.
"""

PRODUCTS = [
    ("product", "云服务器 ECS", "8 核 32G", "台", Decimal("12000.00"), "13.00"),
    ("product", "分布式存储", "100 TB", "套", Decimal("180000.00"), "13.00"),
    ("product", "负载均衡设备", "双机热备", "台", Decimal("46000.00"), "13.00"),
    ("service", "驻场运维", "7×24", "月", Decimal("18000.00"), "6.00"),
    ("service", "迁移实施服务", "含割接", "项", Decimal("85000.00"), "6.00"),
    ("service", "专线接入", "1 Gbps", "年", Decimal("36000.00"), "9.00"),
    ("gift", "培训课程", "两天", "次", Decimal("8000.00"), "6.00"),
]

RISKY = [
    "合同期满后自动续约一年。",
    "乙方提供永久免费维护。",
    "The supplier accepts unlimited liability for indirect losses.",
]

# How far each demo contract got (every status, most of them live).
PATHS: dict[str, list[str]] = {
    Status.DRAFT: [],
    Status.IN_APPROVAL: [Status.IN_APPROVAL],
    Status.APPROVED: [Status.IN_APPROVAL, Status.APPROVED],
    Status.NEGOTIATING: [Status.IN_APPROVAL, Status.APPROVED, Status.NEGOTIATING],
    Status.SIGNED: [Status.IN_APPROVAL, Status.APPROVED, Status.SIGNED],
    Status.DELIVERING: [Status.IN_APPROVAL, Status.APPROVED, Status.SIGNED, Status.DELIVERING],
    Status.INITIALLY_ACCEPTED: [
        Status.IN_APPROVAL,
        Status.APPROVED,
        Status.SIGNED,
        Status.DELIVERING,
        Status.INITIALLY_ACCEPTED,
    ],
    Status.FINALLY_ACCEPTED: [
        Status.IN_APPROVAL,
        Status.APPROVED,
        Status.SIGNED,
        Status.DELIVERING,
        Status.INITIALLY_ACCEPTED,
        Status.FINALLY_ACCEPTED,
    ],
    Status.CLOSED: [
        Status.IN_APPROVAL,
        Status.APPROVED,
        Status.SIGNED,
        Status.DELIVERING,
        Status.INITIALLY_ACCEPTED,
        Status.FINALLY_ACCEPTED,
        Status.CLOSED,
    ],
    Status.TERMINATED: [Status.IN_APPROVAL, Status.APPROVED, Status.SIGNED, Status.TERMINATED],
    Status.CANCELLED: [Status.CANCELLED],
}
WEIGHTS = [30, 20, 15, 10, 20, 40, 20, 20, 25, 10, 10]  # per status, in Status order: 220


def _users(by_code: dict[str, list[Employee]]) -> dict[str, User]:
    users = {}
    for username, full_name, roles, link in CONTRACT_DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, email=f"{username}@example.com")
            user.set_password(DEMO_PASSWORD)
            user.save()
        for role, _department in roles:
            RoleAssignment.objects.get_or_create(user=user, role=role, department=None)
        people = by_code.get(link[0], []) if link else []
        if link and len(people) > link[1]:
            employee = people[link[1]]
            if employee.user_id is None and not Employee.objects.filter(user=user).exists():
                employee.user = user
                employee.save(update_fields=["user"])
        users[username] = user
    return users


def _library(users: dict[str, User]) -> dict[str, ContractType]:
    types = {}
    for code, name, name_en in TYPES:
        types[code], _created = ContractType.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en}
        )
    for code, title_zh, title_en, text_zh, text_en in CLAUSES:
        Clause.objects.get_or_create(
            code=code,
            version=1,
            defaults={
                "title_zh": title_zh,
                "title_en": title_en,
                "text_zh": text_zh,
                "text_en": text_en,
            },
        )
    Clause.objects.get_or_create(
        code="payment",
        version=2,
        defaults={
            "title_zh": "付款",
            "title_en": "Payment",
            "text_zh": "买方应按付款里程碑在收到合法有效的增值税专用发票后三十日内付款。",
            "text_en": "The buyer pays each milestone within 30 days of a valid special VAT invoice.",
        },
    )
    for code, contract_type in types.items():
        ContractTemplate.objects.update_or_create(
            contract_type=contract_type,
            language="zh-hans",
            defaults={"name": f"{contract_type.name}标准模板", "body": TEMPLATE_ZH},
        )
        if code == "sales":
            ContractTemplate.objects.update_or_create(
                contract_type=contract_type,
                language="en",
                defaults={"name": "Sales contract (English)", "body": TEMPLATE_EN},
            )
    # sales: finance and legal in parallel, management from 200,000 CNY;
    # service: finance, then legal; framework: legal, then management (any).
    policies: dict[str, list[tuple[int, str, str, str, Decimal | None, str]]] = {
        "sales": [
            (1, "财务审核", ApproverKind.ROLE, Role.FINANCE, None, "all"),
            (1, "法务审核", ApproverKind.ROLE, Role.LEGAL, None, "all"),
            (2, "总经理审批", ApproverKind.ROLE, Role.MANAGEMENT, Decimal("200000"), "any"),
        ],
        "service": [
            (1, "财务审核", ApproverKind.ROLE, Role.FINANCE, None, "all"),
            (2, "法务审核", ApproverKind.ROLE, Role.LEGAL, None, "all"),
        ],
        "framework": [
            (1, "法务审核", ApproverKind.ROLE, Role.LEGAL, None, "all"),
            (2, "总经理审批", ApproverKind.ROLE, Role.MANAGEMENT, None, "any"),
        ],
    }
    for code, steps in policies.items():
        policy, _created = ApprovalPolicy.objects.get_or_create(
            contract_type=types[code], defaults={"name": f"{types[code].name}审批"}
        )
        if not policy.steps.exists():
            PolicyStep.objects.bulk_create(
                [
                    PolicyStep(
                        policy=policy,
                        position=position,
                        name=name,
                        approver_kind=kind,
                        role=role,
                        min_amount_cny=amount,
                        mode=mode,
                    )
                    for position, name, kind, role, amount, mode in steps
                ]
            )
    return types


def _elements(rng: random.Random, index: int, start: date) -> dict[str, Any]:
    lines = []
    for kind, name, config, unit, price, tax in rng.sample(PRODUCTS, rng.randint(1, 3)):
        lines.append(
            {
                "kind": kind,
                "name": name,
                "configuration": config,
                "quantity": Decimal(rng.choice([1, 2, 4, 6, 10, 12, 20])),
                "unit": unit,
                "standard": "GB/T 22239-2019" if kind == "product" else "",
                "commitments": "可用性 99.95%" if kind == "service" else "",
                "unit_price": price,
                "discount_percent": Decimal(rng.choice([0, 0, 5, 10, 15, 25])),
                "tax_rate": tax,
            }
        )
    foreign = index % 23 == 0
    risky = index % 7 == 0
    data: dict[str, Any] = {
        name: (
            ""
            if spec[0] in (el.TEXT, el.LONG)
            else None
            if spec[0] in (el.DATE, "decimal?")
            else Decimal("0")
        )
        for name, spec in el.SCALARS.items()
    }
    data.update(
        {
            "title": f"{lines[0]['name']}{'采购' if lines[0]['kind'] == 'product' else '服务'}合同",
            "currency": "USD" if foreign else "CNY",
            "exchange_rate": Decimal("7.1") if foreign else Decimal("1"),
            "payment_model": "milestones",
            "payment_days": 120 if index % 13 == 0 else rng.choice([30, 45, 60]),
            "delivery_place": rng.choice(["上海市浦东新区", "北京市海淀区", "深圳市南山区"]),
            "delivery_due": start + timedelta(days=rng.randint(30, 120)),
            "delivery_method": "现场交付并安装调试",
            "responsibilities": "乙方负责交付与实施，甲方提供机房与网络条件。",
            "acceptance_criteria": ""
            if index % 17 == 0
            else "按技术规格书逐项测试通过并连续运行 72 小时。",
            "initial_acceptance_due": start + timedelta(days=rng.randint(120, 160)),
            "final_acceptance_due": start + timedelta(days=rng.randint(200, 300)),
            "advance_percent": Decimal("30"),
            "guarantee_kind": rng.choice(["none", "performance_bond", "retention"]),
            "guarantee_percent": Decimal("5"),
            "our_party": "客户科技有限公司",
            "liability_cap_percent": None if index % 11 == 0 else Decimal("100"),
            "liability_terms": "任何一方的赔偿责任以合同总额为限。",
            "force_majeure": "因不可抗力不能履行的，受影响方应及时通知。",
            "dispute_terms": "提交上海国际仲裁中心仲裁。",
            "change_terms": "变更须书面提出，费用由提出方承担。",
            "effective_on": start,
            "terminates_on": start + timedelta(days=365 * rng.choice([1, 2, 3])),
            "special_terms": RISKY[index % len(RISKY)] if risky else "",
            "lines": lines,
            "milestones": [
                {"name": "预付款", "trigger": "signing", "percent": Decimal("30"), "due_on": None},
                {
                    "name": "初验款",
                    "trigger": "initial_acceptance",
                    "percent": Decimal("60"),
                    "due_on": None,
                },
                {
                    "name": "质保金",
                    "trigger": "final_acceptance",
                    "percent": Decimal("10"),
                    "due_on": None,
                },
            ],
        }
    )
    return data


def _clear() -> None:
    demo = Contract.objects.filter(number__startswith=PREFIX)
    ids = list(demo.values_list("pk", flat=True))
    if not ids:
        return
    sources = Q()
    for pk in ids:
        sources |= Q(source__startswith=f"contracts.contract:{pk}:")
    TimelineEntry.objects.filter(kind=TimelineEntry.Kind.CONTRACT).filter(sources).delete()
    ApprovalDecision.objects.filter(contract_id__in=ids).delete()
    demo.delete()


def build_contracts_demo() -> dict[str, int]:
    """Create or refresh the contracts demo; returns counts of what exists afterwards."""
    rng = random.Random(SEED)  # noqa: S311 — demo data, not secrets
    by_code: dict[str, list[Employee]] = {}
    for employee in Employee.objects.select_related("department").order_by("employee_no", "pk"):
        by_code.setdefault(employee.department.code, []).append(employee)
    users = _users(by_code)
    types = _library(users)
    templates = {t.contract_type_id: t for t in ContractTemplate.objects.filter(language="zh-hans")}
    accounts = list(Account.objects.order_by("pk")[:80])
    if not accounts:
        accounts = [Account.objects.create(name=f"合同演示客户{i}") for i in range(1, 6)]
    sales = by_code.get("SALES") or []
    sales_department = sales[0].department if sales else None
    _clear()

    now = timezone.now()
    statuses = [s for s, weight in zip(Status.values, WEIGHTS, strict=True) for _ in range(weight)]
    plans = []
    contracts = []
    type_list = list(types.values())
    for index, status in enumerate(statuses[:COUNT]):
        start = (now - timedelta(days=rng.randint(5, 360))).date()
        data = _elements(rng, index, start)
        sums = el.totals(data)
        contract_type = type_list[index % len(type_list)]
        kind = "format" if index % 4 else "non_format"
        created = timezone.make_aware(datetime.combine(start - timedelta(days=20), time(10)))
        contract = Contract(
            number=f"{PREFIX}{index + 1:04d}",
            account=accounts[index % len(accounts)],
            contract_type=contract_type,
            kind=kind,
            status=status,
            owner=users["sales"],
            created_by=users["sales"],
            department=sales_department,
            template=templates.get(contract_type.pk) if kind == "format" else None,
            document_text=""
            if kind == "format"
            else f"{data['title']}。{data['special_terms']}双方经友好协商签订本合同。",
            net_total=sums.net - sums.rebate,
            tax_total=sums.tax,
            gross_total=sums.gross,
            total_cny=sums.gross_cny,
            max_discount_percent=sums.max_discount,
            status_changed_at=created,
            **{k: data[k] for k in el.SCALARS},
        )
        contracts.append(contract)
        plans.append((contract, data, created))
    Contract.objects.bulk_create(contracts)
    _rows(plans, users, now)
    return {"contracts": Contract.objects.filter(number__startswith=PREFIX).count()}


def _rows(
    plans: list[tuple[Contract, dict[str, Any], datetime]], users: dict[str, User], now: datetime
) -> None:
    lines, milestones, changes, documents, versions, timeline_rows = [], [], [], [], [], []
    runs: list[tuple[Contract, ApprovalRun, str, datetime]] = []
    for contract, data, created in plans:
        for position, row in enumerate(data["lines"], start=1):
            lines.append(ContractLine(contract=contract, position=position, **row))
        for position, row in enumerate(data["milestones"], start=1):
            milestones.append(PaymentMilestone(contract=contract, position=position, **row))
        words = " ".join(
            [contract.number, contract.title, contract.account.name, contract.document_text]
            + [line["name"] for line in data["lines"]]
            + [data["special_terms"], data["acceptance_criteria"]]
        )
        documents.append(
            ContractSearchDocument(
                contract=contract, tokens=f" {' '.join(dict.fromkeys(document_tokens(words)))} "
            )
        )
        at = created
        previous: str = Status.DRAFT
        timeline_rows.append(
            {
                "account_id": contract.account_id,
                "kind": TimelineEntry.Kind.CONTRACT,
                "source": f"contracts.contract:{contract.pk}:draft",
                "occurred_at": created,
                "title": timeline.phrase(
                    "Contract %(number)s drafted: %(title)s",
                    number=contract.number,
                    title=contract.title,
                ),
                "actor": users["sales"],
                "restricted": True,
            }
        )
        for step_number, to in enumerate(PATHS[contract.status], start=1):
            assert to in TRANSITIONS[previous]  # noqa: S101 — the demo follows the lifecycle
            at = min(at + timedelta(days=3), now)
            if to == Status.IN_APPROVAL:
                runs.append(
                    (
                        contract,
                        ApprovalRun(
                            contract=contract, started_at=at, amount_cny=contract.total_cny
                        ),
                        contract.status,
                        at,
                    )
                )
            changes.append(
                StatusChange(
                    contract=contract,
                    from_status=previous,
                    to_status=to,
                    by=users["sales"],
                    at=at,
                    reason="客户取消采购计划"
                    if to in (Status.CANCELLED, Status.TERMINATED)
                    else "",
                )
            )
            timeline_rows.append(
                {
                    "account_id": contract.account_id,
                    "kind": TimelineEntry.Kind.CONTRACT,
                    "source": f"contracts.contract:{contract.pk}:demo:{step_number}",
                    "occurred_at": at,
                    "title": timeline.phrase(
                        "Contract %(number)s: %(status)s",
                        number=contract.number,
                        title=contract.title,
                        status=Status(to).label,
                    ),
                    "actor": users["sales"],
                    "restricted": True,
                }
            )
            previous = to
        if contract.status not in (Status.DRAFT, Status.IN_APPROVAL, Status.CANCELLED):
            versions.append(
                ContractVersion(
                    contract=contract,
                    number=1,
                    elements=el.plain(data),
                    created_at=at,
                    created_by=users["sales"],
                )
            )
        contract.status_changed_at = at
    ContractLine.objects.bulk_create(lines)
    PaymentMilestone.objects.bulk_create(milestones)
    ContractSearchDocument.objects.bulk_create(documents)
    StatusChange.objects.bulk_create(changes)
    ContractVersion.objects.bulk_create(versions)
    timeline.record_many(timeline_rows)
    _approvals(runs, users)
    _change_orders([p for p in plans if p[0].status == Status.DELIVERING][:8], users)
    Contract.objects.bulk_update(
        [p[0] for p in plans], ["status_changed_at", "revision", "chain_head", "chain_length"]
    )


def _approvals(
    runs: list[tuple[Contract, ApprovalRun, str, datetime]], users: dict[str, User]
) -> None:
    """Approval rounds as the policies make them: decided for approved contracts, half-way for
    those still in approval, every decision hash-chained."""
    ApprovalRun.objects.bulk_create([run for _c, run, _s, _at in runs])
    steps: list[tuple[Contract, ApprovalStep, User, bool]] = []
    step_rows = []
    for contract, run, status, at in runs:
        finished = status != Status.IN_APPROVAL
        run.status = RunStatus.APPROVED if finished else RunStatus.RUNNING
        run.finished_at = at + timedelta(days=2) if finished else None
        plan = [(1, "财务审核", users["finance"]), (1, "法务审核", users["legal"])]
        if contract.total_cny >= 200000:
            plan.append((2, "总经理审批", users["manager"]))
        for position, name, user in plan:
            decided = finished or (position == 1 and name == "财务审核")
            step = ApprovalStep(
                run=run,
                position=position,
                name=name,
                mode="all",
                status=StepStatus.APPROVED
                if decided
                else StepStatus.PENDING
                if position == 1
                else StepStatus.WAITING,
            )
            step_rows.append(step)
            steps.append((contract, step, user, decided))
    ApprovalRun.objects.bulk_update([run for _c, run, _s, _at in runs], ["status", "finished_at"])
    ApprovalStep.objects.bulk_create(step_rows)
    ApprovalAssignee.objects.bulk_create(
        [ApprovalAssignee(step=step, user=user) for _c, step, user, _d in steps]
    )
    decisions = []
    for contract, step, user, decided in steps:
        if not decided:
            continue
        row = ApprovalDecision(
            contract=contract,
            step=step,
            approver=user,
            decision="approve",
            comment="同意" if step.position == 1 else "同意，注意回款风险",
            decided_at=step.run.started_at + timedelta(hours=4 * step.position),
            sequence=contract.chain_length + 1,
            previous_hash=contract.chain_head or chain.GENESIS,
        )
        row.hash = chain.hash_of(row, row.previous_hash)
        contract.chain_head, contract.chain_length = row.hash, row.sequence
        decisions.append(row)
    ApprovalDecision.objects.bulk_create(decisions)
    for contract, _run, status, _at in runs:
        if status != Status.IN_APPROVAL:
            contract.revision = 1


def _change_orders(
    plans: list[tuple[Contract, dict[str, Any], datetime]], users: dict[str, User]
) -> None:
    """A few delivering contracts took an approved change: one more unit, two weeks later."""
    rows, versions = [], []
    for contract, data, _created in plans:
        after = el.plain(data)
        after["lines"][0]["quantity"] = str(Decimal(after["lines"][0]["quantity"]) + 1)
        if after["delivery_due"]:
            after["delivery_due"] = (
                date.fromisoformat(after["delivery_due"]) + timedelta(days=14)
            ).isoformat()
        clean = el.clean_elements(after)
        sums = el.totals(clean)
        change = ChangeOrder(
            contract=contract,
            number=1,
            reason="客户追加采购一台，交付顺延两周。",
            proposed=after,
            base_revision=1,
            cost_impact=sums.gross - contract.gross_total,
            schedule_impact_days=14,
            status=ChangeStatus.APPLIED,
            created_by=users["sales"],
        )
        rows.append((contract, change, clean, sums))
    ChangeOrder.objects.bulk_create([r[1] for r in rows])
    for contract, change, clean, sums in rows:
        versions.append(
            ContractVersion(
                contract=contract,
                number=2,
                elements=change.proposed,
                created_at=created_at(contract),
                created_by=users["sales"],
                change_order=change,
            )
        )
        ContractLine.objects.filter(contract=contract, position=1).update(
            quantity=clean["lines"][0]["quantity"]
        )
        Contract.objects.filter(pk=contract.pk).update(
            delivery_due=clean["delivery_due"],
            net_total=sums.net - sums.rebate,
            tax_total=sums.tax,
            gross_total=sums.gross,
            total_cny=sums.gross_cny,
        )
        contract.revision = 2
    ContractVersion.objects.bulk_create(versions)


def created_at(contract: Contract) -> datetime:
    return (contract.status_changed_at or timezone.now()) - timedelta(days=1)
