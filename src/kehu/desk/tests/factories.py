"""Builders for service-desk tests: a calendar, a policy, accounts, contacts and tickets."""

from __future__ import annotations

from datetime import time
from typing import Any

from kehu.customers.models import Account, Contact
from kehu.desk import tickets
from kehu.desk.models import BusinessCalendar, Ticket
from kehu.desk.sla import services
from kehu.desk.sla.services import IntervalSpec, TargetSpec
from kehu.org.models import Department, Employee


def office_calendar(name: str = "Office", zone: str = "Asia/Shanghai") -> BusinessCalendar:
    """Mon–Fri 09:00–12:00 and 13:00–18:00 (8 working hours a day)."""
    intervals = [
        IntervalSpec(weekday, start, end)
        for weekday in range(5)
        for start, end in ((time(9), time(12)), (time(13), time(18)))
    ]
    return services.calendar_create(
        fields={"name": name, "time_zone": zone}, intervals=intervals, days=[]
    )


def always_calendar(name: str = "24/7") -> BusinessCalendar:
    return services.calendar_create(
        fields={"name": name, "time_zone": "UTC"},
        intervals=[IntervalSpec(d, time(0), time(0)) for d in range(7)],
        days=[],
    )


def policy(
    calendar: BusinessCalendar,
    *,
    name: str = "Standard",
    first: int = 60,
    nxt: int | None = 120,
    resolution: int = 480,
    escalation: list[services.EscalationSpec] | None = None,
    **fields: Any,
):
    conditions = {k: fields.pop(k, []) for k in ("departments", "services")}
    categories = fields.pop("categories", None)
    return services.sla_policy_save(
        policy=None,
        expected_version=None,
        fields={"name": name, "calendar": calendar, **fields},
        targets=[
            TargetSpec(priority, first, nxt, resolution)
            for priority in ("urgent", "high", "normal", "low")
        ],
        categories=categories,
        escalation=escalation,
        **conditions,
    )


def contact(account_name: str = "甲公司", **fields: Any) -> Contact:
    account = Account.objects.create(name=account_name, **fields)
    return Contact.objects.create(
        account=account, name=f"{account_name}联系人", email="buyer@example.com"
    )


def ticket(
    department: Department,
    *,
    actor: Any = None,
    contact_: Contact | None = None,
    employee: Employee | None = None,
    **fields: Any,
) -> Ticket:
    if contact_ is None and employee is None:
        contact_ = contact()
    data = tickets.NewTicket(
        subject=fields.pop("subject", "打印机无法连接"),
        body=fields.pop("body", "请帮忙看看"),
        department=department,
        channel=fields.pop("channel", "web"),
        contact=contact_,
        requester_employee=employee,
        **fields,
    )
    return tickets.create_ticket(data, actor=actor)
