"""Demo dossiers for the demo accounts: architecture notes, current events, monthly visits of
strategic and key accounts with follow-ups (some overdue), an incident-review visit, manual
complaints, positive communications, and a few edited notes so history and diff show something.

Deterministic (a fixed seed per account) and idempotent: an entry is known by its account,
section and title, a visit by its account, kind and planned day (visits are anchored to the
first day of the current month), so running it again adds nothing that exists.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kehu.access.models import Role, User
from kehu.core.markdown import plain_summary
from kehu.customers.models import Account, AccountLevel, TimelineEntry
from kehu.dossier.models import (
    DossierEntry,
    DossierRevision,
    EventCategory,
    EventStatus,
    PositiveCategory,
    Section,
    Visit,
    VisitFollowUp,
)
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

USES = [
    "使用我们的云主机和对象存储",
    "核心交易系统部署在我们的专属云上，数据库使用我们的托管 MySQL",
    "Uses our CDN and object storage for video delivery",
    "使用我们的容器服务和负载均衡，日志接入我们的日志服务",
    "Runs analytics on our managed Kafka and data warehouse",
]
COMPETITORS = [
    "同时使用阿里云的CDN",
    "备份放在腾讯云对象存储",
    "Also uses AWS for their overseas sites",
    "没有使用其他云厂商",
    "测试环境在华为云",
]
STRENGTHS = [
    "认为我们的技术支持响应快，售后工程师专业",
    "Values our network quality in East China",
    "认可我们的重保服务和主动告警",
]
WEAKNESSES = [
    "控制台操作复杂，账单不够清晰",
    "希望对象存储的跨区域复制更灵活",
    "Feels our documentation in English is thin",
]
PRICE = [
    "认为性价比中等，价格略高于竞争对手",
    "Considers us good value for the support included",
    "对价格敏感，年度续约时会比价",
]
TEAMS = [
    "技术团队能力较强，有专职运维和 DBA",
    "技术团队较小，依赖我们的售后支持",
    "Strong DevOps team, automates everything through our API",
]


def _architecture(rng: random.Random) -> str:
    return (
        f"## How they use us\n\n{rng.choice(USES)}。\n\n"
        f"## Competitors they use\n\n{rng.choice(COMPETITORS)}。\n\n"
        f"## Their view of our strengths\n\n{rng.choice(STRENGTHS)}。\n\n"
        f"## Their view of our weaknesses\n\n{rng.choice(WEAKNESSES)}。\n\n"
        f"## Their view of our price-performance\n\n{rng.choice(PRICE)}。\n\n"
        f"## Their team's capability\n\n{rng.choice(TEAMS)}。\n"
    )


def _author() -> User | None:
    return (
        User.objects.filter(is_active=True, role_assignments__role=Role.AFTER_SALES)
        .order_by("id")
        .first()
        or User.objects.filter(is_superuser=True).order_by("id").first()
    )


def _entries_for(account: Account, index: int, today: date) -> list[dict[str, Any]]:
    rng = random.Random(account.pk * 7919 + 5)  # noqa: S311 (demo data, fixed seed)
    entries: list[dict[str, Any]] = [
        {
            "section": Section.BASE_NOTES,
            "title": "客户概况",
            "body": (
                f"{account.name}，{account.get_level_display()}客户。\n\n"
                "- 主要联系人为技术负责人和采购经理\n"
                "- 每月对账，季度业务回顾 (QBR)\n"
            ),
            "happened_on": today - timedelta(days=300 + rng.randint(0, 60)),
        }
    ]
    if index % 5 != 4:
        entries.append(
            {
                "section": Section.ARCHITECTURE,
                "title": "业务与技术架构",
                "body": _architecture(rng),
                "happened_on": today - timedelta(days=rng.randint(20, 200)),
            }
        )
    if index % 2 == 0:
        entries.append(
            {
                "section": Section.CURRENT_EVENT,
                "category": EventCategory.SCALE_OUT,
                "status": EventStatus.CLOSED if index % 4 == 0 else EventStatus.IN_PROGRESS,
                "title": "扩容：新增 40 台云主机",
                "body": "业务增长，计划在华东二可用区扩容 40 台 8C16G 云主机，**需提前锁定库存**。",
                "happened_on": today - timedelta(days=rng.randint(5, 90)),
            }
        )
    if index % 3 == 0:
        entries.append(
            {
                "section": Section.CURRENT_EVENT,
                "category": EventCategory.MAJOR_EVENT_ASSURANCE,
                "status": EventStatus.OPEN,
                "title": "双十一重保",
                "body": (
                    "双十一期间 (11月10日–12日) 7×24 重保：\n\n"
                    "1. 提前一周完成压测\n2. 售后工程师驻场\n3. 每小时同步一次监控数据\n"
                ),
                "happened_on": today - timedelta(days=rng.randint(1, 30)),
            }
        )
    if index % 4 == 1:
        entries.append(
            {
                "section": Section.CURRENT_EVENT,
                "category": EventCategory.QUESTION,
                "status": EventStatus.OPEN,
                "title": "Open question: cross-region replication pricing",
                "body": "The customer asked how replication traffic between regions is billed.",
                "happened_on": today - timedelta(days=rng.randint(1, 20)),
            }
        )
    if index % 4 == 0:
        entries.append(
            {
                "section": Section.COMPLAINT,
                "title": "电话投诉：工单响应慢",
                "body": "客户 CTO 电话投诉上周数据库故障时工单 2 小时无人响应，已致歉并复盘。",
                "happened_on": today - timedelta(days=rng.randint(30, 250)),
            }
        )
    if index % 3 == 0:
        entries.append(
            {
                "section": Section.POSITIVE,
                "category": PositiveCategory.PROACTIVE_ALERT,
                "title": "主动告警：磁盘即将写满",
                "body": "监控发现客户数据库磁盘使用率 92%，主动电话提醒并协助扩容，客户表示感谢。",
                "happened_on": today - timedelta(days=rng.randint(10, 180)),
            }
        )
    if index % 5 == 1:
        entries.append(
            {
                "section": Section.POSITIVE,
                "category": PositiveCategory.GUIDANCE_PROPOSAL,
                "title": "Cost optimisation proposal",
                "body": "Proposed reserved instances for steady workloads: about 25 % saving.",
                "happened_on": today - timedelta(days=rng.randint(10, 180)),
            }
        )
    return entries


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


@transaction.atomic
def build_dossier_demo() -> dict[str, int]:
    """Create the demo dossiers; returns how many entries, visits and follow-ups were added."""
    accounts = list(Account.objects.select_related("owner").order_by("id"))
    if not accounts:
        return {"entries": 0, "visits": 0, "follow_ups": 0}
    today = timezone.localdate()
    author = _author()
    employees = list(Employee.objects.filter(is_active=True).order_by("id")[:20])
    existing = set(DossierEntry.objects.values_list("account_id", "section", "title"))

    new_entries: list[DossierEntry] = []
    for index, account in enumerate(accounts):
        for spec in _entries_for(account, index, today):
            if (account.pk, spec["section"], spec["title"]) in existing:
                continue
            new_entries.append(DossierEntry(account=account, author=author, **spec))
    DossierEntry.objects.bulk_create(new_entries, batch_size=500)
    # bulk_create sets the primary keys on PostgreSQL and SQLite (RETURNING).
    revisions: list[DossierRevision] = []
    second: list[DossierEntry] = []
    for entry in new_entries:
        revisions.append(
            DossierRevision(
                entry=entry,
                number=1,
                title=entry.title,
                body=entry.body,
                category=entry.category,
                status=entry.status,
                happened_on=entry.happened_on,
                author=author,
                created_at=_at(entry.happened_on),
            )
        )
        # A few architecture notes were corrected later: history and diff show something.
        if entry.section == Section.ARCHITECTURE and entry.account_id % 3 == 0:
            entry.body = entry.body.replace(
                "## Their team's capability",
                "## Their team's capability\n\n(2nd review) 新任 CTO 上任，计划引入容器化。",
            )
            entry.version = 2
            second.append(entry)
            revisions.append(
                DossierRevision(
                    entry=entry,
                    number=2,
                    title=entry.title,
                    body=entry.body,
                    category=entry.category,
                    status=entry.status,
                    happened_on=entry.happened_on,
                    author=author,
                    created_at=_at(min(entry.happened_on + timedelta(days=14), today)),
                )
            )
    DossierEntry.objects.bulk_update(second, ["body", "version"], batch_size=500)
    DossierRevision.objects.bulk_create(revisions, batch_size=500)

    visits, follow_ups = _visits(accounts, today, author, employees)
    _timeline(new_entries, visits, author)
    return {"entries": len(new_entries), "visits": len(visits), "follow_ups": follow_ups}


def _visits(
    accounts: list[Account], today: date, author: User | None, employees: list[Employee]
) -> tuple[list[Visit], int]:
    first_of_month = today.replace(day=1)
    existing = set(Visit.objects.values_list("account_id", "kind", "planned_on"))
    incident_of = dict(
        MajorIncident.affected_accounts.through.objects.order_by(
            "account_id", "majorincident_id"
        ).values_list("account_id", "majorincident_id")
    )
    planned: list[tuple[Visit, list[Employee], list[tuple[str, int, bool]]]] = []
    for index, account in enumerate(accounts):
        rng = random.Random(account.pk * 104729 + 11)  # noqa: S311 (demo data)
        people = [account.owner] if account.owner else []
        if employees:
            people.append(employees[account.pk % len(employees)])
        specs: list[tuple[str, date, str, str, list[tuple[str, int, bool]]]] = []
        if account.level in (AccountLevel.STRATEGIC, AccountLevel.KEY):
            for months_ago in range(12, 0, -1):
                day = _months_before(first_of_month, months_ago) + timedelta(
                    days=rng.randint(3, 20)
                )
                follow = (
                    [("提供扩容方案与报价", 14, months_ago > 2), ("安排架构评审会议", 30, False)]
                    if months_ago <= 3
                    else []
                )
                specs.append(
                    (
                        Visit.Kind.ROUTINE_MONTHLY,
                        day,
                        "月度例行拜访",
                        "回顾本月用量与工单；客户对响应速度满意，提出**账单明细**需求。",
                        follow,
                    )
                )
            specs.append(
                (
                    Visit.Kind.ROUTINE_MONTHLY,
                    first_of_month + timedelta(days=35 + rng.randint(0, 10)),
                    "月度例行拜访",
                    "",
                    [],
                )
            )
        else:
            specs.append(
                (
                    Visit.Kind.ROUTINE_ANNUAL,
                    _months_before(first_of_month, 6 + index % 5) + timedelta(days=9),
                    "Annual review / 年度回访",
                    "Reviewed the year; renewal expected. 客户希望明年增加预算。",
                    [("Send the renewal quote", 10, True)],
                )
            )
        if index % 7 == 3:
            specs.append(
                (
                    Visit.Kind.EXTRAORDINARY,
                    first_of_month - timedelta(days=10 + index % 20),
                    "故障复盘拜访",
                    "向客户说明故障根因与整改措施，客户要求提供书面复盘报告。",
                    [("提交书面复盘报告", 7, False)],
                )
            )
        for kind, day, purpose, summary, follow in specs:
            if (account.pk, kind, day) in existing:
                continue
            done = day <= today and bool(summary)
            visit = Visit(
                account=account,
                kind=kind,
                status=Visit.Status.DONE if done else Visit.Status.PLANNED,
                planned_on=day,
                visited_on=day if done else None,
                purpose=purpose,
                summary=summary if done else "",
                other_attendees="客户技术负责人" if done else "",
                incident_id=incident_of.get(account.pk)
                if kind == Visit.Kind.EXTRAORDINARY
                else None,
                created_by=author,
            )
            planned.append((visit, people, follow if done else []))
    Visit.objects.bulk_create([v for v, _p, _f in planned], batch_size=500)
    through = Visit.our_attendees.through
    through.objects.bulk_create(
        [
            through(visit_id=v.pk, employee_id=p.pk)
            for v, people, _f in planned
            for p in {p.pk: p for p in people}.values()
        ],
        batch_size=1000,
    )
    items: list[VisitFollowUp] = []
    for visit, people, follow in planned:
        for description, due_days, done in follow:
            due_on = visit.planned_on + timedelta(days=due_days)
            items.append(
                VisitFollowUp(
                    visit=visit,
                    description=description,
                    owner=people[0] if people else None,
                    due_on=due_on,
                    done_at=_at(due_on)
                    if done and due_on <= visit.planned_on + timedelta(days=60)
                    else None,
                )
            )
    VisitFollowUp.objects.bulk_create(items, batch_size=1000)
    return [v for v, _p, _f in planned], len(items)


def _months_before(first_of_month: date, months: int) -> date:
    year, month = divmod(first_of_month.year * 12 + first_of_month.month - 1 - months, 12)
    return date(year, month + 1, 1)


def _timeline(entries: list[DossierEntry], visits: list[Visit], author: User | None) -> None:
    rows = []
    for entry in entries:
        kind = (
            TimelineEntry.Kind.COMPLAINT
            if entry.section == Section.COMPLAINT
            else TimelineEntry.Kind.DOSSIER
        )
        title = f"{Section(entry.section).label}: {entry.title}"
        if entry.status:
            title += f" ({EventStatus(entry.status).label})"
        rows.append(
            TimelineEntry(
                account_id=entry.account_id,
                kind=kind,
                occurred_at=_at(entry.happened_on),
                title=title[:300],
                summary=plain_summary(entry.body)[:500],
                actor=author,
                source=f"dossier.entry:{entry.pk}",
                url=reverse("dossier:entry-detail", args=[entry.pk]),
                restricted=True,
            )
        )
    for visit in visits:
        rows.append(
            TimelineEntry(
                account_id=visit.account_id,
                kind=TimelineEntry.Kind.VISIT,
                occurred_at=_at(visit.day),
                title=f"{Visit.Kind(visit.kind).label} ({Visit.Status(visit.status).label}): "
                f"{visit.purpose}"[:300],
                summary=plain_summary(visit.summary)[:500],
                actor=author,
                source=f"dossier.visit:{visit.pk}",
                url=reverse("dossier:visit-detail", args=[visit.pk]),
                restricted=True,
            )
        )
    TimelineEntry.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
