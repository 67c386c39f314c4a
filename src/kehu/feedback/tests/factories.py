"""Builders for feedback tests: rated tickets and the objects the permission matrix opens."""

from __future__ import annotations

from typing import Any

from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, Contact
from kehu.desk import tickets
from kehu.desk.models import Status, Ticket
from kehu.desk.tests import factories as f
from kehu.feedback import services
from kehu.feedback.models import SatisfactionRating
from kehu.org.models import Department


def resolve(ticket: Ticket, actor: Any = None) -> Ticket:
    return tickets.change_status(ticket, Status.RESOLVED, actor=actor)


def rated(
    department: Department, *, score: int, comment: str = "", now: Any = None, **fields: Any
) -> SatisfactionRating:
    """A ticket created, resolved and rated ``score`` (invitation issued directly, no mail)."""
    ticket = resolve(f.ticket(department, **fields))
    issued = services.survey_invite(ticket)
    assert issued is not None
    return services.survey_submit(token=issued.token, score=score, comment=comment, now=now)


def external_contact(name: str = "甲公司", **account_fields: Any) -> Contact:
    account = Account.objects.create(name=name, **account_fields)
    return Contact.objects.create(account=account, name=f"{name}联系人", email="buyer@example.com")


def feedback_objects(world: Any) -> dict[str, Any]:
    """One of each feedback object, for the route × persona matrix."""
    owner = EmployeeFactory(department=world.support)
    contact = external_contact("矩阵客户", owner=owner)
    complaint = f.ticket(world.support, contact_=contact, ticket_type="complaint")
    resolve(complaint)
    issued = services.survey_invite(complaint)
    assert issued is not None
    low = rated(world.support, score=1, contact_=contact)
    return {
        "survey": issued.token,
        "callback": low.callback.pk,
        "complaint": complaint.pk,
        "account": contact.account_id,
    }
