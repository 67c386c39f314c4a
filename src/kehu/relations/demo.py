"""Demo data of relationships (SPEC §4): three key accounts, each with a map of 32 people in
five levels (buying roles, stages, a coach), a year of interactions with next steps, an iron
triangle and calls for fire — in Chinese with English alongside. Deterministic and idempotent:
an account whose map already has its chief executive is left as it is."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.access.models import User
from kehu.customers.models import Account, AccountLevel, Contact
from kehu.org.models import Employee
from kehu.relations import coverage, fire, services, team
from kehu.relations.models import FireRequest, IronTriangle, Person

ACCOUNTS = 3
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "军", "洋", "勇", "艳", "杰", "涛"]
# (title, department, influence, stage, social style) for the top levels; the rest are staff.
TOP = [
    ("总经理 CEO", "总经办 Executive office", 5, "trust", "controlling"),
    ("首席财务官 CFO", "财务部 Finance", 5, "meeting", "analytical"),
    ("首席信息官 CIO", "信息部 IT", 5, "alliance", "advocating"),
    ("采购总监 Procurement director", "采购部 Procurement", 4, "trust", "amiable"),
    ("运营副总裁 VP Operations", "运营部 Operations", 4, "meeting", "controlling"),
]
ROLES = {
    2: ("decision_maker", "supporter", "投资回报与风险 ROI and risk"),
    3: ("selector", "supporter", "技术路线与集成 Architecture and integration"),
    4: ("purchaser", "neutral", "价格与付款条件 Price and payment terms"),
    7: ("evaluator", "neutral", "性能测试结果 Benchmark results"),
    11: ("user", "opponent", "迁移工作量 Migration effort"),
    12: ("acceptor", "supporter", "上线验收标准 Go-live acceptance criteria"),
}
KINDS = ["meeting", "call", "visit", "dinner", "event"]
SUBJECTS = [
    "季度业务回顾 Quarterly business review",
    "技术交流 Technical exchange",
    "高层拜访 Executive visit",
    "方案演示 Solution demo",
    "年度客户答谢会 Annual customer event",
    "需求调研 Requirements workshop",
]


def _name(account_index: int, n: int) -> str:
    return SURNAMES[(n + account_index * 7) % len(SURNAMES)] + GIVEN[(n * 5 + account_index) % 12]


def _staff(code: str, skip: set[int]) -> Employee | None:
    return (
        Employee.objects.filter(department__code=code, is_active=True, user__isnull=True)
        .exclude(pk__in=skip)
        .order_by("employee_no", "pk")
        .first()
    ) or (
        Employee.objects.filter(department__code=code, is_active=True)
        .exclude(pk__in=skip)
        .order_by("employee_no", "pk")
        .first()
    )


@transaction.atomic
def build_relations_demo() -> dict[str, Any]:
    accounts = list(
        Account.objects.filter(
            level__in=(AccountLevel.STRATEGIC, AccountLevel.KEY), owner__isnull=False
        ).order_by("pk")[:ACCOUNTS]
    )
    admin = User.objects.filter(username="admin").first()
    for index, account in enumerate(accounts):
        if not Person.objects.filter(account=account, title=TOP[0][0]).exists():
            _build_map(account, index, admin)
        if not IronTriangle.objects.filter(account=account).exists():
            _build_team(account)
        if not FireRequest.objects.filter(account=account).exists():
            _build_fire(account, index)
    today = timezone.localdate()
    coverage.sync_alerts(today=today)
    return {
        "accounts": len(accounts),
        "people": Person.objects.filter(account__in=accounts).count(),
    }


def _build_map(account: Account, index: int, admin: Any) -> None:
    today = timezone.localdate()
    people: list[Person] = []
    for n in range(32):
        if n < len(TOP):
            title, department, influence, stage, style = TOP[n]
            manager = people[0] if n else None
        else:
            level_manager = people[1 + (n - len(TOP)) % 4]
            title = "经理 Manager" if n < 17 else "专员 Specialist"
            department = level_manager.department
            influence, stage, style = 2 + n % 2, ("acquaintance", "meeting")[n % 2], ""
            manager = level_manager if n < 17 else people[len(TOP) + (n - 17) % 12]
        name = _name(index, n)
        contact = Contact.objects.filter(account=account, name=name).first() or (
            Contact.objects.create(account=account, name=name, role=title)
        )
        if Person.objects.filter(contact=contact).exists():
            contact = Contact.objects.create(account=account, name=f"{name}{n}", role=title)
        person = services.person_create(
            account=account,
            contact=contact,
            by=admin,
            reports_to_id=manager.pk if manager else None,
            title=title,
            department=department,
            influence=influence,
            stage="acquaintance",
            social_style=style,
            need_company_economic="降低总体拥有成本 Lower total cost" if n < 5 else "",
            need_personal_business="年度考核达标 Meet yearly targets" if n < 5 else "",
        )
        people.append(person)
    # Coach: the CIO, with evidence (lapsed on the third account: one trait missing).
    cio = people[2]
    services.person_update(
        person=cio,
        version=cio.version,
        is_coach=True,
        coach_influence="与各业务线负责人关系紧密 Close to every business line head",
        coach_informed="参与年度预算与选型 Sits on budget and selection",
        coach_win_win="" if index == 2 else "希望项目成功推动数字化 Wants the project to succeed",
    )
    for n, (role, stance, cares) in ROLES.items():
        if index == 1 and role == "acceptor":
            continue  # a gap to show: the acceptor is unknown
        services.role_set(person=people[n], role=role, stance=stance, cares_about=cares)
    # A year of interactions, one every two weeks, with the top people; stages grow from them.
    owner = account.owner
    for k in range(26):
        day = today - timedelta(days=364 - k * 14)
        attendees = [people[k % 5].pk, people[5 + k % 27].pk]
        interaction = services.interaction_record(
            account=account,
            by=admin,
            kind=KINDS[k % len(KINDS)],
            occurred_on=day,
            subject=SUBJECTS[k % len(SUBJECTS)],
            people_ids=attendees,
            our_attendee_ids=[owner.pk] if owner else [],
            notes="讨论了扩容计划和服务满意度。 Discussed expansion plans and satisfaction.",
            next_step="发送方案与报价 Send the proposal and quote" if k % 3 == 0 else "",
            next_step_due=day + timedelta(days=10) if k % 3 == 0 else None,
            spin_situation="现有系统规模？ Current scale?" if k % 4 == 0 else "",
            spin_problem="高峰期性能瓶颈？ Peak-time bottlenecks?" if k % 4 == 0 else "",
        )
        if k % 5 == 4:
            target = people[k % 5]
            target.refresh_from_db()
            wanted = TOP[k % 5][3]
            if target.stage != wanted and _order(wanted) > _order(target.stage):
                services.stage_change(
                    person=target,
                    version=target.version,
                    to_stage=wanted,
                    by=admin,
                    changed_on=day,
                    interaction=interaction,
                )
    for n, (_title, _dept, _influence, stage, _style) in enumerate(TOP):
        person = Person.objects.get(pk=people[n].pk)
        if person.stage != stage and _order(stage) > _order(person.stage):
            services.stage_change(
                person=person, version=person.version, to_stage=stage, by=admin, changed_on=today
            )
    level = "key" if index else "organisational"
    services.level_set(
        account=account,
        level=level,
        evidence="高层定期互访，CIO 是教练。 Regular executive visits; the CIO coaches us.",
        version=None,
        need_economic="降低 IT 成本 20% Cut IT cost by 20%",
        need_business="新业务三个月上线 New business live in three months",
        need_social="行业标杆案例 An industry reference case",
    )


def _order(stage: str) -> int:
    from kehu.relations.models import STAGE_ORDER

    return STAGE_ORDER[stage]


def _build_team(account: Account) -> None:
    owner = account.owner
    if owner is None:
        return
    skip = {owner.pk}
    sr = _staff("RND", skip) or _staff("SALES", skip)
    if sr is None:
        return
    skip.add(sr.pk)
    fr = _staff("OPS", skip) or _staff("AFTERSALES", skip)
    if fr is None:
        return
    skip.add(fr.pk)
    member = _staff("SUPPORT", skip)
    team.triangle_set(
        account=account,
        account_manager=owner,
        solution_manager=sr,
        fulfilment_manager=fr,
        members=[member] if member else [],
        by=None,
    )


def _build_fire(account: Account, index: int) -> None:
    departments = list(fire.back_office()[:3])
    owner = account.owner
    if not departments or owner is None:
        return
    for k, department in enumerate(departments[:2]):
        fire.call_for_fire(
            account=account,
            department=department,
            subject=(
                "投标技术方案支持 Technical support for the bid"
                if k == 0
                else "合同条款审核 Contract terms review"
            ),
            body="客户下周评标，需要专家参加答疑。 The customer evaluates bids next week.",
            by=owner.user,
            requester=owner,
        )
