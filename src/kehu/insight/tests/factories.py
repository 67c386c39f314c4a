"""Builders for insight tests: a key account with tickets, ratings and an incident this week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, AccountLevel, Contact
from kehu.desk.models import Ticket
from kehu.desk.tests import factories as f
from kehu.feedback.tests.factories import rated, resolve
from kehu.incidents.models import MajorIncident
from kehu.insight.models import Period
from kehu.insight.periods import bounds


@dataclass
class Scene:
    account: Account
    contact: Contact
    other: Account
    complaint: Ticket
    week: date


def this_week() -> date:
    return bounds(Period.WEEK, timezone.localdate())[0]


def scene(world: Any) -> Scene:
    """Customer A's key account with three tickets (one complaint, one low rating), customer B's
    account with one ticket, and a major incident that hit A."""
    owner = EmployeeFactory(department=world.support, name="客户经理", name_en="Owner")
    account = Account.objects.create(
        name="甲公司", name_en="Jia Ltd", level=AccountLevel.KEY, owner=owner
    )
    contact = Contact.objects.create(
        account=account, name="甲联系人", email="a@example.com", user=world.customer_a
    )
    other = Account.objects.create(name="乙公司", name_en="Yi Ltd", level=AccountLevel.KEY)
    Contact.objects.create(
        account=other, name="乙联系人", email="b@example.com", user=world.customer_b
    )
    f.ticket(world.support, contact_=contact, subject="无法登录")
    complaint = resolve(
        f.ticket(world.support, contact_=contact, ticket_type="complaint", channel="phone")
    )
    rated(world.support, score=1, contact_=contact)
    f.ticket(world.support, contact_=other.contacts.get(), subject="发票问题")
    incident = MajorIncident.objects.create(title="机房断电", severity="sev1")
    incident.affected_accounts.add(account)
    return Scene(account, contact, other, complaint, this_week())


def matrix_objects(world: Any) -> dict[str, Any]:
    """A company report and a subscription, for the route × persona matrix."""
    from kehu.insight import reports
    from kehu.insight.models import ScopeKind, Subscription

    report, _made = reports.generate_report(
        reports.scope_of(ScopeKind.COMPANY, None), Period.WEEK, this_week()
    )
    subscription = Subscription.objects.create(
        user=world.admin, scope_key="company", period=Period.WEEK, language="en"
    )
    return {"insight_report": report.pk, "insight_subscription": subscription.pk}
