"""Builders for churn tests: accounts with owners, reviews in any state, tickets and incidents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kehu.churn import services
from kehu.churn.models import ChurnReview
from kehu.conftest import EmployeeFactory
from kehu.customers.models import Account, Contact
from kehu.desk.tests import factories as desk
from kehu.incidents.models import MajorIncident
from kehu.org.models import Department, Employee


def account(
    name: str = "华东物流有限公司", owner: Employee | None = None, **fields: Any
) -> Account:
    return Account.objects.create(name=name, owner=owner, **fields)


def owner(department: Department, user: Any = None, **fields: Any) -> Employee:
    return EmployeeFactory(department=department, user=user, **fields)


def ticket_of(account: Account, department: Department, **fields: Any) -> Any:
    contact = Contact.objects.create(account=account, name="联系人", email="it@example.com")
    return desk.ticket(department, contact_=contact, **fields)


def incident_of(account: Account, title: str = "机房断电") -> MajorIncident:
    incident = MajorIncident.objects.create(title=title)
    incident.affected_accounts.add(account)
    return incident


def review(
    account: Account,
    *,
    actor: Any = None,
    kind: str = "lost",
    noticed_on: date | None = None,
    revenue_before: Decimal | None = None,
    revenue_after: Decimal | None = None,
    **changes: Any,
) -> ChurnReview:
    """A review opened now; ``changes`` (attribution, links…) are saved in one edit after it."""
    opened = services.review_open(
        services.NewReview(
            account=account,
            kind=kind,
            noticed_on=noticed_on or timezone.localdate(),
            revenue_before=revenue_before,
            revenue_after=revenue_after,
        ),
        actor=actor,
    )
    if changes:
        opened = services.review_update(
            opened, actor=actor, expected_version=opened.version, changes=changes
        )
    return opened


def reviewed(account: Account, *, actor: Any = None, **kwargs: Any) -> ChurnReview:
    """A review attributed (business ended unless told) and marked reviewed."""
    kwargs.setdefault("attribution", "business_ended")
    kwargs.setdefault("review_held_on", kwargs.get("noticed_on") or timezone.localdate())
    opened = review(account, actor=actor, **kwargs)
    return services.review_transition(
        opened, actor=actor, expected_version=opened.version, status="reviewed"
    )


def churn_objects(world: Any) -> dict[str, int]:
    """The permission matrix's churn objects: a review (and follow-up) of an account without
    owner or team, so only admin and after-sales edit it and the auditor reads it."""
    subject = Account.objects.create(name="丙公司")
    review = ChurnReview.objects.create(account=subject, kind="lost")
    follow_up = review.follow_ups.create(
        action="回访", owner=EmployeeFactory(department=world.finance)
    )
    return {"churn_review": review.pk, "churn_follow_up": follow_up.pk}
