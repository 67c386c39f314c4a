"""A realistic bilingual demo organisation, built idempotently (safe to run again)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from pypinyin import lazy_pinyin

from kehu.access.models import Role, RoleAssignment, User
from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.org.models import (
    CollaborationMode,
    Department,
    Employee,
    InterfaceAssignment,
    InternalRelation,
    KeyRole,
    RelationType,
    Service,
    Team,
)

DEMO_PASSWORD = "kehu-demo"  # noqa: S105 — printed on start; a demo is meant to be entered

# code, Chinese name, English name, parent code, description
DEPARTMENTS = [
    ("HQ", "总经办", "General Management", None, "公司管理层与经营决策"),
    ("SALES", "销售部", "Sales", "HQ", "客户经理（AR）所在部门，负责客户关系与商机"),
    ("PRESALES", "售前解决方案部", "Pre-sales Solutions", "SALES", "解决方案经理（SR）"),
    ("DELIVERY", "交付部", "Delivery", "HQ", "交付经理（FR），负责项目交付与验收"),
    (
        "AFTERSALES",
        "售后服务部",
        "After-sales Service",
        "HQ",
        "客户的代言人：客户档案、回访与流失复盘",
    ),
    ("SUPPORT", "客户服务中心", "Customer Service Centre", "AFTERSALES", "一线服务台"),
    ("RND", "研发部", "Research & Development", "HQ", "产品研发与缺陷修复"),
    ("QA", "测试部", "Quality Assurance", "RND", "测试验证与发布质量"),
    ("OPS", "运维部", "Operations", "HQ", "线上运行、扩容与重保"),
    ("FIN", "财务部", "Finance", "HQ", "报销、发票与回款"),
    ("HR", "人力资源部", "Human Resources", "HQ", "招聘、入职与培训"),
    ("PROC", "采购部", "Purchasing", "HQ", "采购申请与供应商管理"),
    ("LEGAL", "法务部", "Legal", "HQ", "合同审核与合规"),
]

# department, Chinese name, English name, description, audience, response min, resolution min
SERVICES = [
    ("FIN", "报销审核", "Expense claim review", "审核差旅与日常报销单据", "everyone", 240, 2400),
    (
        "FIN",
        "开具发票",
        "Invoice issuing",
        "为客户开具或重新开具增值税发票",
        "departments",
        120,
        960,
    ),
    ("HR", "招聘需求", "Recruitment request", "提出岗位招聘需求并跟进", "everyone", 480, 9600),
    ("HR", "入职办理", "Onboarding", "新员工入职手续、账号与工位", "everyone", 240, 1440),
    ("OPS", "扩容申请", "Capacity scale-out", "为客户或内部系统扩容资源", "departments", 30, 480),
    ("OPS", "重保值守", "Major-event assurance", "重大活动期间的保障值守", "departments", 60, 1440),
    ("RND", "缺陷修复", "Defect fix", "修复已交付功能的缺陷（老 bug）", "departments", 60, 2400),
    (
        "RND",
        "新需求评估",
        "New requirement assessment",
        "评估客户提出的新需求并排期",
        "departments",
        480,
        4800,
    ),
    ("QA", "测试验证", "Test verification", "修复或新版本的测试验证", "departments", 120, 1440),
    ("LEGAL", "合同审核", "Contract review", "合同条款与风险审核", "everyone", 240, 1440),
    ("PROC", "采购申请", "Purchase request", "设备、软件与服务采购", "everyone", 240, 4800),
    (
        "SUPPORT",
        "客户问题处理",
        "Customer issue handling",
        "外部客户的咨询、故障与投诉",
        "everyone",
        15,
        480,
    ),
    (
        "PRESALES",
        "方案支持",
        "Solution support",
        "为商机提供解决方案与技术澄清",
        "departments",
        120,
        2400,
    ),
    ("PRESALES", "投标支持", "Bid support", "标书技术部分与报价支持", "departments", 240, 2880),
    (
        "DELIVERY",
        "项目交付",
        "Project delivery",
        "签约后的实施、初验与终验",
        "departments",
        240,
        9600,
    ),
    ("SALES", "商务报价", "Commercial quotation", "报价、折扣与商务条款", "departments", 120, 960),
]

# supplier, customer, type, mode, what is supplied
RELATIONS = [
    ("PROC", "OPS", RelationType.FUNCTIONAL, CollaborationMode.HORIZONTAL, "服务器与带宽采购"),
    ("RND", "SUPPORT", RelationType.FUNCTIONAL, CollaborationMode.TEAM, "缺陷修复与技术支持"),
    ("FIN", "SALES", RelationType.FUNCTIONAL, CollaborationMode.HORIZONTAL, "发票与回款对账"),
    ("LEGAL", "SALES", RelationType.FUNCTIONAL, CollaborationMode.HORIZONTAL, "合同审核"),
    ("HR", "RND", RelationType.FUNCTIONAL, CollaborationMode.HORIZONTAL, "招聘与培训"),
    ("OPS", "AFTERSALES", RelationType.FUNCTIONAL, CollaborationMode.TEAM, "重保与扩容"),
    (
        "SALES",
        "DELIVERY",
        RelationType.PROCESS,
        CollaborationMode.ASSEMBLY_LINE,
        "签约后移交合同与客户背景",
    ),
    ("PRESALES", "SALES", RelationType.PROCESS, CollaborationMode.TEAM, "解决方案与投标"),
    (
        "DELIVERY",
        "AFTERSALES",
        RelationType.PROCESS,
        CollaborationMode.ASSEMBLY_LINE,
        "终验后移交客户档案",
    ),
    ("RND", "QA", RelationType.PROCESS, CollaborationMode.ASSEMBLY_LINE, "提测版本"),
    ("QA", "OPS", RelationType.PROCESS, CollaborationMode.ASSEMBLY_LINE, "可发布版本"),
    ("HQ", "SALES", RelationType.HIERARCHICAL, CollaborationMode.TEAM, "资源与决策"),
    ("SALES", "HQ", RelationType.HIERARCHICAL, CollaborationMode.TEAM, "经营目标的完成"),
    (
        "HQ",
        "AFTERSALES",
        RelationType.HIERARCHICAL,
        CollaborationMode.TEAM,
        "服务体系建设的授权与资源",
    ),
]

# requesting department, supplier department (the interface person is the supplier's 2nd member)
INTERFACES = [
    ("SALES", "FIN"),
    ("SALES", "LEGAL"),
    ("SUPPORT", "RND"),
    ("SUPPORT", "OPS"),
    ("DELIVERY", "PROC"),
    ("AFTERSALES", "RND"),
    ("RND", "HR"),
    ("SALES", "PRESALES"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "磊",
    "洋",
    "艳",
    "勇",
    "军",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "华",
    "建国",
    "丽",
    "强",
    "晓东",
    "海燕",
    "志强",
    "婷",
    "雪",
    "鹏",
    "浩然",
    "思远",
]
TITLES_ZH = {"head": "部门负责人", "member": "专员", "senior": "高级工程师"}


def _english(name: str) -> str:
    syllables = lazy_pinyin(name)
    return f"{''.join(syllables[1:]).capitalize()} {syllables[0].capitalize()}"


def _upsert(model: type[Any], lookup: dict[str, Any], **values: Any) -> Any:
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    if not created:
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        for k in changed:
            setattr(obj, k, values[k])
        if changed:
            obj.save()
    return obj


def build_org_demo(progress: Callable[[str], None] = lambda step: None) -> dict[str, int]:
    """Create or refresh the demo organisation and the demo users; returns counts of what exists
    afterwards. The whole demo (every app's part, in layer order) is ``kehu.demo.build_demo``."""
    with audit_context(channel=Channel.SYSTEM), transaction.atomic():
        departments: dict[str, Department] = {}
        for code, zh, en, parent, description in DEPARTMENTS:
            departments[code] = _upsert(
                Department,
                {"code": code},
                name=zh,
                name_en=en,
                parent=departments.get(parent) if parent else None,
                description=description,
            )
        progress("departments")

        employees: dict[str, list[Employee]] = {}
        number = 0
        per_department = {"HQ": 3, "SUPPORT": 6, "RND": 6, "SALES": 4, "AFTERSALES": 4, "OPS": 4}
        ceo: Employee | None = None
        for code, *_rest in DEPARTMENTS:
            department = departments[code]
            team = _upsert(
                Team,
                {"department": department, "name": f"{department.name}一组"},
                name_en=f"{department.name_en} team 1",
            )
            staff: list[Employee] = []
            for i in range(per_department.get(code, 3)):
                number += 1
                name = SURNAMES[(number * 7) % len(SURNAMES)] + GIVEN[(number * 5) % len(GIVEN)]
                is_head = i == 0
                manager = ceo if is_head else staff[0]
                employee = _upsert(
                    Employee,
                    {"employee_no": f"E{number:04d}"},
                    name=name,
                    name_en=_english(name),
                    department=department,
                    team=None if is_head else team,
                    manager=manager if manager and manager.pk != 0 else None,
                    title=TITLES_ZH["head"]
                    if is_head
                    else TITLES_ZH["senior" if i == 1 else "member"],
                    email=f"e{number:04d}@example.com",
                    phone=f"+86 138 0000 {number:04d}",
                    is_away=(number % 11 == 0),
                )
                if code == "HQ" and is_head:
                    ceo = employee
                    employee.manager = None
                    employee.save(update_fields=["manager"])
                staff.append(employee)
            employees[code] = staff
            if department.head_id != staff[0].pk:
                department.head = staff[0]
                department.save(update_fields=["head"])
            if team.lead_id != staff[1].pk:
                team.lead = staff[1]
                team.save(update_fields=["lead"])
        progress("employees")

        for code, zh, en, description, audience, response, resolution in SERVICES:
            service = _upsert(
                Service,
                {"department": departments[code], "name": zh},
                name_en=en,
                description=description,
                audience=audience,
                response_minutes=response,
                resolution_minutes=resolution,
                interface_person=employees[code][1],
            )
            if audience == "departments":
                customers = [departments[s] for s, c, *_ in RELATIONS if c == code] + [
                    departments[c] for s, c, *_ in RELATIONS if s == code
                ]
                service.allowed_departments.set(customers or [departments["HQ"]])
        progress("services")

        for supplier, customer, kind, mode, what in RELATIONS:
            _upsert(
                InternalRelation,
                {
                    "supplier_department": departments[supplier],
                    "customer_department": departments[customer],
                    "relation_type": kind,
                },
                collaboration_mode=mode,
                description=what,
            )
        # Person-level hierarchical relations: both directions between the CEO and each head.
        if ceo is None:
            raise RuntimeError("the demo organisation needs a head of HQ")
        for code in ("SALES", "AFTERSALES", "RND"):
            head = employees[code][0]
            _upsert(
                InternalRelation,
                {
                    "supplier_employee": ceo,
                    "customer_employee": head,
                    "relation_type": RelationType.HIERARCHICAL,
                },
                collaboration_mode=CollaborationMode.TEAM,
                description="资源、授权与决策",
            )
            _upsert(
                InternalRelation,
                {
                    "supplier_employee": head,
                    "customer_employee": ceo,
                    "relation_type": RelationType.HIERARCHICAL,
                },
                collaboration_mode=CollaborationMode.TEAM,
                description="完成交办的经营目标",
            )
        for requesting, supplier in INTERFACES:
            _upsert(
                InterfaceAssignment,
                {
                    "requesting_department": departments[requesting],
                    "supplier_department": departments[supplier],
                },
                person=employees[supplier][1],
            )
        progress("relations")

        for code, staff in employees.items():
            _upsert(
                KeyRole,
                {"department": departments[code], "name": "值班负责人"},
                name_en="Duty lead",
                primary=staff[1],
                backup=staff[2],
            )
        for code in ("OPS", "SUPPORT", "RND"):
            staff = employees[code]
            _upsert(
                KeyRole,
                {"department": departments[code], "name": "应急负责人"},
                name_en="Emergency lead",
                primary=staff[0],
                backup=staff[3],
            )
        progress("key roles")

        _demo_users(departments, employees)
        progress("users")

    return {
        "departments": Department.objects.count(),
        "employees": Employee.objects.count(),
        "services": Service.objects.count(),
        "relations": InternalRelation.objects.count(),
    }


DEMO_USERS: list[tuple[str, str, list[tuple[Role, str | None]], tuple[str, int] | None]] = [
    # username, full name, roles, employee (department code, index) or None
    ("admin", "系统管理员 Admin", [(Role.ADMIN, None)], ("HQ", 1)),
    (
        "lead",
        "售后负责人 After-sales lead",
        [(Role.DEPARTMENT_LEAD, "AFTERSALES"), (Role.AFTER_SALES, None)],
        ("AFTERSALES", 0),
    ),
    ("agent", "服务台坐席 Agent", [(Role.AGENT, None)], ("SUPPORT", 1)),
    ("employee", "研发工程师 Engineer", [(Role.EMPLOYEE, None)], ("RND", 2)),
    ("auditor", "审计 Auditor", [(Role.AUDITOR, None)], None),
    ("customer", "客户联系人 Customer", [(Role.CUSTOMER, None)], None),
]


def _demo_users(departments: dict[str, Department], employees: dict[str, list[Employee]]) -> None:
    for username, full_name, roles, link in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, full_name=full_name, email=f"{username}@example.com")
            user.set_password(DEMO_PASSWORD)
            user.save()
        for role, department_code in roles:
            RoleAssignment.objects.get_or_create(
                user=user,
                role=role,
                department=departments[department_code] if department_code else None,
            )
        if link is not None:
            employee = employees[link[0]][link[1]]
            if employee.user_id is None and not Employee.objects.filter(user=user).exists():
                employee.user = user
                employee.save(update_fields=["user"])
