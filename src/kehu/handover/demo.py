"""Demo data of handovers: an after-sales engineer who is leaving hands 4 accounts to the demo
lead; one item is done, one in progress. Deterministic and idempotent (found by its note)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from kehu.access.models import User
from kehu.customers.models import Account
from kehu.handover import services
from kehu.handover.models import Handover, HandoverItem
from kehu.org.models import Employee

DEMO_NOTE = "演示：售后工程师离职，客户移交给售后负责人。 Demo: an after-sales engineer is leaving."
ACCOUNTS = 4


@transaction.atomic
def build_handover_demo() -> dict[str, Any]:
    existing = Handover.objects.filter(note=DEMO_NOTE).first()
    if existing is not None:
        return {"handover": existing.pk, "items": existing.items.count()}
    lead = User.objects.filter(username="lead").first()
    target = Employee.objects.filter(user=lead).first() if lead else None
    if target is None:
        return {"handover": None, "items": 0}
    leaving = (
        Employee.objects.filter(department__code="AFTERSALES", is_active=True)
        .exclude(pk=target.pk)
        .annotate(n=Count("owned_accounts"))
        .filter(n__gte=3)
        .order_by("employee_no", "pk")
        .first()
    )
    if leaving is None:
        return {"handover": None, "items": 0}
    accounts = list(Account.objects.filter(owner=leaving).order_by("id")[:ACCOUNTS])
    admin = User.objects.filter(username="admin").first()
    handover = services.handover_start(
        from_employee=leaving,
        assignments=dict.fromkeys(accounts, target),
        reason=Handover.Reason.LEAVING,
        note=DEMO_NOTE,
        by=admin,
    )
    items = list(handover.items.select_related("account").order_by("id"))
    today = timezone.localdate()
    done, in_progress = items[0], items[1]
    services.handover_item_update(
        item=done,
        by=admin,
        expected_version=done.version,
        changes={
            "background_notes": (
                "合作六年，技术负责人王工是关键联系人；去年一次故障后对响应时间很敏感。\n"
                "Six years with us; Mr Wang (head of engineering) is the key contact; sensitive "
                "about response times since last year's outage."
            ),
            "open_items": "续约报价待确认。 Renewal quote to be confirmed.",
            "first_visit_planned_on": today - timedelta(days=9),
            "first_visit_done_on": today - timedelta(days=7),
            "status": HandoverItem.Status.DONE,
        },
    )
    services.handover_item_update(
        item=in_progress,
        by=admin,
        expected_version=in_progress.version,
        changes={
            "background_notes": (
                "客户正在评估竞品，价格是主要顾虑。 Evaluating a competitor; price is the main concern."
            ),
            "first_visit_planned_on": today + timedelta(days=5),
        },
    )
    return {"handover": handover.pk, "items": len(items)}
