"""Demo business calendars: a Chinese office calendar with 2026 holidays and make-up days,
a round-the-clock calendar for emergency teams, and a European office."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from kehu.desk.models import BusinessCalendar, CalendarDay, Ticket
from kehu.desk.sla.services import DaySpec, IntervalSpec, calendar_create, calendar_update

OFFICE = [(time(9), time(12)), (time(13, 30), time(18))]

# Illustrative 2026 public holidays and make-up working days (demo data, not an official notice).
CN_HOLIDAYS = [
    (date(2026, 1, 1), 3, "元旦"),
    (date(2026, 2, 15), 9, "春节"),
    (date(2026, 4, 4), 3, "清明节"),
    (date(2026, 5, 1), 5, "劳动节"),
    (date(2026, 6, 19), 3, "端午节"),
    (date(2026, 9, 25), 3, "中秋节"),
    (date(2026, 10, 1), 7, "国庆节"),
]
CN_MAKE_UP = [
    (date(2026, 1, 4), 4, "元旦调休"),
    (date(2026, 2, 14), 0, "春节调休"),
    (date(2026, 2, 28), 0, "春节调休"),
    (date(2026, 5, 9), 0, "劳动节调休"),
    (date(2026, 9, 20), 0, "国庆节调休"),
    (date(2026, 10, 10), 4, "国庆节调休"),
]


def _calendars() -> list[tuple[dict[str, str], list[IntervalSpec], list[DaySpec]]]:
    office = [IntervalSpec(day, start, end) for day in range(5) for start, end in OFFICE]
    cn_days = [
        DaySpec(first + timedelta(days=offset), CalendarDay.Kind.HOLIDAY, 0, name)
        for first, length, name in CN_HOLIDAYS
        for offset in range(length)
    ] + [
        DaySpec(day, CalendarDay.Kind.WORKING, works_as, name) for day, works_as, name in CN_MAKE_UP
    ]
    return [
        (
            {
                "name": "中国大陆工作日历",
                "name_en": "Mainland China office hours",
                "time_zone": "Asia/Shanghai",
                "description": "工作日 9:00–12:00、13:30–18:00，含法定节假日与调休",
            },
            office,
            cn_days,
        ),
        (
            {
                "name": "7×24 值守",
                "name_en": "24/7 on-call",
                "time_zone": "Asia/Shanghai",
                "description": "应急与重保团队全天候值守",
            },
            [IntervalSpec(day, time(0), time(0)) for day in range(7)],
            [],
        ),
        (
            {
                "name": "柏林办公室",
                "name_en": "Berlin office",
                "time_zone": "Europe/Berlin",
                "description": "欧洲客户服务时间",
            },
            [IntervalSpec(day, time(8), time(17)) for day in range(5)],
            [
                DaySpec(date(2026, 12, 25), CalendarDay.Kind.HOLIDAY, 0, "Weihnachten"),
                DaySpec(date(2026, 12, 26), CalendarDay.Kind.HOLIDAY, 0, "Zweiter Weihnachtstag"),
            ],
        ),
    ]


def build_calendars() -> int:
    """Create or refresh the demo calendars; returns how many exist."""
    for fields, intervals, days in _calendars():
        existing = BusinessCalendar.objects.filter(name=fields["name"]).first()
        if existing is None:
            calendar_create(fields=fields, intervals=intervals, days=days)
        elif existing.intervals.count() != len(intervals) or existing.days.count() != len(days):
            calendar_update(
                calendar=existing,
                expected_version=existing.version,
                fields=fields,
                intervals=intervals,
                days=days,
            )
    return BusinessCalendar.objects.count()


def build_policies() -> int:
    """Demo SLA policies: incidents and complaints on the 24/7 calendar, everything else in office hours."""
    from kehu.desk.models import SlaPolicy
    from kehu.desk.sla.services import TargetSpec, sla_policy_save

    office = BusinessCalendar.objects.get(name="中国大陆工作日历")
    always = BusinessCalendar.objects.get(name="7×24 值守")
    demo = [
        (
            {
                "name": "故障与投诉",
                "name_en": "Incidents and complaints",
                "position": 10,
                "calendar": always,
                "ticket_types": ["incident", "complaint", "defect"],
            },
            [
                TargetSpec("urgent", 15, 30, 240),
                TargetSpec("high", 30, 60, 480),
                TargetSpec("normal", 60, 240, 1440),
                TargetSpec("low", 240, 480, 2880),
            ],
        ),
        (
            {
                "name": "标准服务",
                "name_en": "Standard service",
                "position": 100,
                "calendar": office,
                "ticket_types": [],
            },
            [
                TargetSpec("urgent", 30, 60, 480),
                TargetSpec("high", 60, 120, 960),
                TargetSpec("normal", 240, 480, 2400),
                TargetSpec("low", 480, 960, 4800),
            ],
        ),
    ]
    for fields, targets in demo:
        if not SlaPolicy.objects.filter(name=fields["name"]).exists():
            sla_policy_save(
                policy=None,
                expected_version=None,
                fields=fields,
                departments=[],
                services=[],
                targets=targets,
            )
    return SlaPolicy.objects.count()


ACCOUNTS = [
    # name, English name, level, industry, region
    ("华东电网信息公司", "East China Grid IT", "strategic", "能源", "上海"),
    ("星河银行", "Galaxy Bank", "strategic", "金融", "北京"),
    ("云帆物流", "Yunfan Logistics", "key", "物流", "深圳"),
    ("蓝海医疗", "Blue Ocean Healthcare", "key", "医疗", "杭州"),
    ("青禾教育", "Qinghe Education", "standard", "教育", "成都"),
    ("北辰制造", "Beichen Manufacturing", "standard", "制造", "天津"),
    ("Rheinwerk GmbH", "Rheinwerk GmbH", "key", "制造", "Berlin"),
    ("优品电商", "Youpin E-commerce", "standard", "零售", "广州"),
]

# subject, body, type, impact, severity, account index, age in hours, what happened since
DEMO_TICKETS = [
    (
        "VPN 无法连接，全部门远程办公中断",
        "今天早上开始所有人都连不上 VPN，提示证书错误。",
        "incident",
        "organisation",
        "critical",
        0,
        3,
        "open",
    ),
    (
        "请重新开具发票",
        "上月发票抬头写错了，请重新开具发票。",
        "question",
        "individual",
        "low",
        1,
        30,
        "waiting_customer",
    ),
    (
        "API 响应变慢",
        "下单接口平均响应从 200ms 升到 2s。",
        "incident",
        "group",
        "high",
        2,
        5,
        "new",
    ),
    (
        "希望支持批量导出报表",
        "运营团队需要一次导出多个月的报表。",
        "new_requirement",
        "group",
        "low",
        3,
        72,
        "open",
    ),
    (
        "账单金额与合同不符",
        "本月账单比合同约定多收了 3 万元，请尽快处理。",
        "complaint",
        "organisation",
        "high",
        1,
        26,
        "open",
    ),
    (
        "Login page shows a blank screen",
        "Since the last release the login page is blank in Firefox.",
        "defect",
        "group",
        "medium",
        6,
        50,
        "resolved",
    ),
    (
        "申请开通新用户账号",
        "新入职 5 人，需要开通系统账号。",
        "service_request",
        "group",
        "low",
        4,
        8,
        "new",
    ),
    (
        "数据同步延迟",
        "仓储系统数据同步延迟超过 1 小时。",
        "incident",
        "organisation",
        "high",
        2,
        1,
        "new",
    ),
    (
        "培训资料索取",
        "请发送最新版本的管理员培训资料。",
        "question",
        "individual",
        "low",
        5,
        120,
        "closed",
    ),
    (
        "重保期间需要扩容",
        "双十一期间流量预计翻倍，请提前扩容。",
        "service_request",
        "widespread",
        "medium",
        7,
        10,
        "waiting_third_party",
    ),
]


def build_tickets() -> int:
    """Accounts, contacts and tickets in every state, some overdue, for the demo desk."""
    from django.utils import timezone

    from kehu.access.models import User
    from kehu.customers.models import Account, Contact
    from kehu.desk import tickets
    from kehu.desk.models import (
        AssignmentStrategy,
        Category,
        DeskSettings,
        EscalationStep,
        Message,
        SlaPolicy,
        Status,
    )
    from kehu.desk.sla import clocks
    from kehu.org.models import Department, Employee, KeyRole, Service

    if Ticket.objects.exists():
        return Ticket.objects.count()
    departments = {d.code: d for d in Department.objects.all()}
    support, ops, rnd = departments["SUPPORT"], departments["OPS"], departments["RND"]
    for code, strategy in (
        ("SUPPORT", AssignmentStrategy.ROUND_ROBIN),
        ("OPS", AssignmentStrategy.LEAST_LOAD),
    ):
        DeskSettings.objects.update_or_create(
            department=departments[code],
            defaults={
                "assignment_strategy": strategy,
                "working_calendar": BusinessCalendar.objects.get(name="中国大陆工作日历"),
            },
        )
    for code, names in (
        (
            "SUPPORT",
            [
                ("账号与登录", "Accounts and sign-in"),
                ("账单与发票", "Billing and invoices"),
                ("网络与连接", "Network"),
            ],
        ),
        ("OPS", [("扩容", "Scale-out"), ("重大活动保障", "Major-event assurance")]),
        ("RND", [("缺陷", "Defects"), ("新需求", "New requirements")]),
    ):
        for zh, en in names:
            Category.objects.get_or_create(
                department=departments[code], name=zh, defaults={"name_en": en}
            )
    emergency = KeyRole.objects.filter(department=ops, name="应急负责人").first()
    for policy in SlaPolicy.objects.all():
        if policy.escalation_steps.exists():
            continue
        EscalationStep.objects.create(policy=policy, level=1, after_minutes=0, recipient="assignee")
        EscalationStep.objects.create(
            policy=policy, level=2, after_minutes=30, recipient="team_lead"
        )
        EscalationStep.objects.create(
            policy=policy, level=3, after_minutes=60, recipient="department_head"
        )
        if emergency is not None:
            EscalationStep.objects.create(
                policy=policy, level=4, after_minutes=120, recipient="key_role", key_role=emergency
            )
    owners = list(Employee.objects.filter(department__code__in=("SALES", "AFTERSALES")))
    accounts = []
    for index, (zh, en, level, industry, region) in enumerate(ACCOUNTS):
        account, _created = Account.objects.get_or_create(
            name=zh,
            defaults={
                "name_en": en,
                "level": level,
                "industry": industry,
                "region": region,
                "owner": owners[index % len(owners)] if owners else None,
            },
        )
        accounts.append(account)
    contacts = [
        Contact.objects.get_or_create(
            account=account,
            name=f"{account.name}·联系人",
            defaults={
                "email": f"contact{n}@customer.example",
                "language": "zh-hans" if n != 6 else "en",
            },
        )[0]
        for n, account in enumerate(accounts)
    ]
    portal_user = User.objects.filter(username="customer").first()
    if portal_user is not None and not Contact.objects.filter(user=portal_user).exists():
        contacts[1].user = portal_user
        contacts[1].save(update_fields=["user"])
    agent = User.objects.filter(username="agent").first()
    now = timezone.now()
    for subject, body, kind, impact, severity, account_index, age_hours, state in DEMO_TICKETS:
        department = ops if kind == "incident" and impact != "individual" else support
        if kind in ("defect", "new_requirement"):
            department = rnd
        ticket = tickets.create_ticket(
            tickets.NewTicket(
                subject=subject,
                body=body,
                department=department,
                channel="portal" if account_index % 2 else "email",
                ticket_type=kind,
                impact=impact,
                severity=severity,
                contact=contacts[account_index],
                tags=[accounts[account_index].industry],
            ),
            actor=None,
        )
        _backdate(ticket, now - timedelta(hours=age_hours))
        ticket.refresh_from_db()
        if state in ("open", "waiting_customer", "waiting_third_party", "resolved", "closed"):
            tickets.add_message(ticket, actor=agent, body="您好，我们已收到并在处理，请稍候。")
            tickets.add_message(
                ticket, actor=agent, body="已联系二线排查。", kind=Message.Kind.INTERNAL
            )
        if state in ("waiting_customer", "waiting_third_party", "resolved"):
            tickets.change_status(ticket, state, actor=agent)
        if state == "closed":
            tickets.change_status(ticket, Status.RESOLVED, actor=agent)
            tickets.change_status(ticket, Status.CLOSED, actor=agent)
        clocks.recompute(Ticket.objects.get(pk=ticket.pk))
    requester = Employee.objects.filter(department__code="RND", user__isnull=False).first()
    for service in Service.objects.filter(name__in=["报销审核", "入职办理"]):
        if requester is not None:
            tickets.create_ticket(
                tickets.NewTicket(
                    subject=f"{service.name}：请协助",
                    body="请帮忙处理，谢谢。",
                    department=service.department,
                    service=service,
                    channel="internal",
                    ticket_type="service_request",
                    requester_employee=requester,
                ),
                actor=requester.user,
            )
    return Ticket.objects.count()


def _backdate(ticket: Ticket, created: datetime) -> None:
    """Demo tickets look as if they arrived hours ago, so queues show warnings and breaches."""
    from kehu.desk.models import Message

    Ticket.objects.filter(pk=ticket.pk).update(created_at=created)
    Message.objects.filter(ticket_id=ticket.pk).update(created_at=created)


HISTORY_SUBJECTS = [
    ("无法登录管理后台", "登录时提示密码错误，但密码确认无误。", "incident", "SUPPORT"),
    ("发票寄送地址变更", "请将以后的发票寄到新的办公地址。", "service_request", "SUPPORT"),
    ("接口调用返回 500", "订单接口偶发返回 500 错误，影响部分用户下单。", "incident", "OPS"),
    ("报表数据与实际不符", "月度报表中的订单数量比系统里少了 12 单。", "defect", "RND"),
    (
        "申请提高接口调用配额",
        "业务增长，需要把每分钟调用配额提高到 2000。",
        "service_request",
        "OPS",
    ),
    ("希望增加企业微信通知", "希望告警可以推送到企业微信群。", "new_requirement", "RND"),
    ("客服响应太慢", "上周的问题三天才有人回复，非常不满意。", "complaint", "SUPPORT"),
    (
        "Password reset email not received",
        "Our admin did not get the reset email.",
        "question",
        "SUPPORT",
    ),
    ("VPN drops every hour", "The VPN connection drops roughly every hour.", "incident", "OPS"),
    (
        "Export to Excel garbles Chinese names",
        "Exported CSV shows mojibake for Chinese names.",
        "defect",
        "RND",
    ),
]


def build_history(count: int = 60, seed: int = 7) -> int:
    """Resolved and closed tickets over the last six weeks, some answered in time and some late:
    the dashboards and roll-ups have something to show (``feedback.demo`` rates them)."""
    from django.utils import timezone

    from kehu.access.models import User
    from kehu.customers.models import Contact
    from kehu.desk import tickets
    from kehu.desk.models import Message, Status
    from kehu.desk.sla import clocks
    from kehu.org.models import Department

    if Ticket.objects.filter(subject__startswith="[历史] ").exists():
        return 0
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not security)
    departments = {d.code: d for d in Department.objects.filter(code__in=("SUPPORT", "OPS", "RND"))}
    contacts = list(Contact.objects.select_related("account").order_by("pk"))
    agent = User.objects.filter(username="agent").first()
    if not contacts or len(departments) < 3:
        return 0
    now = timezone.now()
    made = 0
    for n in range(count):
        subject, body, kind, code = HISTORY_SUBJECTS[n % len(HISTORY_SUBJECTS)]
        contact = contacts[rng.randrange(len(contacts))]
        ticket = tickets.create_ticket(
            tickets.NewTicket(
                subject=f"[历史] {subject}",
                body=body,
                department=departments[code],
                channel=rng.choice(["email", "portal", "phone", "web"]),
                ticket_type=kind,
                impact=rng.choice(["individual", "group", "organisation"]),
                severity=rng.choice(["low", "medium", "high"]),
                contact=contact,
            ),
            actor=None,
        )
        tickets.add_message(ticket, actor=agent, body="您好，我们正在处理。/ We are on it.")
        tickets.add_message(
            ticket, actor=agent, body="已处理完毕，请确认。/ Fixed, please confirm."
        )
        ticket = tickets.change_status(ticket, Status.RESOLVED, actor=agent)
        # Shift the story into the past: some first answers in minutes, some a day late.
        created = now - timedelta(days=rng.uniform(2, 42))
        first_after = timedelta(minutes=rng.choice([5, 12, 25, 45, 90, 300, 1500]))
        resolved_after = first_after + timedelta(hours=rng.uniform(1, 60))
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=created,
            first_response_at=created + first_after,
            resolved_at=created + resolved_after,
        )
        stamps = [created, created + first_after, created + resolved_after]
        for message, stamp in zip(ticket.messages.order_by("pk"), stamps, strict=False):
            Message.objects.filter(pk=message.pk).update(created_at=stamp)
        ticket.clocks.all().delete()
        clocks.recompute(Ticket.objects.get(pk=ticket.pk))
        if rng.random() < 0.5:
            tickets.change_status(Ticket.objects.get(pk=ticket.pk), Status.CLOSED, actor=None)
        made += 1
    return made
