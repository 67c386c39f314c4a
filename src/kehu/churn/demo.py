"""Demo data of churn reviews: six standard-level accounts lost or shrinking, covering the three
attribution classes, every status, follow-ups (one overdue) and a service-capability review
linked to the account's own ticket or incident when it has one.

Deterministic (accounts picked by id, dates relative to today) and idempotent: an account's
demo review is found again by the account and updated, never duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kehu.churn import services
from kehu.churn.models import (
    CAUSE_FIELDS,
    ChurnFollowUp,
    ChurnReview,
    ChurnStatusChange,
    ReviewStatus,
)
from kehu.customers.models import Account, AccountLevel
from kehu.desk.models import Ticket
from kehu.incidents.models import MajorIncident
from kehu.org.models import Employee

STEP = 7  # every 7th standard account from the 4th on, so the reviews spread over the list


@dataclass
class FollowUpSpec:
    action: str
    due_in_days: int
    done_note: str = ""


@dataclass
class ReviewSpec:
    kind: str
    status: str
    days_ago: int
    attribution: str = ""
    competitor: str = ""
    causes: tuple[str, ...] = ()
    before: str | None = None
    after: str | None = None
    evidence: str = ""
    customer_attendees: str = ""
    decision: str = ""
    notes: str = ""
    follow_ups: list[FollowUpSpec] = field(default_factory=list)
    wants_links: bool = False  # goes to an account with tickets or incidents, if any


SPECS = [
    ReviewSpec(
        kind="lost",
        status=ReviewStatus.CLOSED,
        days_ago=210,
        attribution="business_ended",
        before="360000",
        after="0",
        evidence=(
            "## 客户业务收缩\n\n- 客户关闭华东区域全部门店，IT 采购随之停止\n"
            "- 最后一笔订单在三个月前，之后用量归零\n\n"
            "The customer closed its East China stores; purchases stopped."
        ),
        customer_attendees="客户信息部经理 陈静",
        decision="保持联系，客户业务恢复时优先回访。",
        notes="客户自身业务原因，与服务和价格无关。",
        follow_ups=[FollowUpSpec("半年后回访客户业务恢复情况", -30, "已回访：暂无恢复计划。")],
    ),
    ReviewSpec(
        kind="shrinking",
        status=ReviewStatus.REVIEWED,
        days_ago=95,
        attribution="commercial",
        competitor="云帆科技",
        before="1200000",
        after="500000",
        evidence=(
            "## 价格原因转向竞争对手\n\n客户将约六成用量迁往**云帆科技**，"
            "对方报价低约 20%，并提供三年锁价。\n\nAbout 60 % of the volume moved for price."
        ),
        customer_attendees="客户采购总监 刘洋；技术负责人 王磊",
        decision="提交阶梯价格方案，争取下一财年回流。",
        notes="价格与合同条款（锁价期）是主因。",
        follow_ups=[
            FollowUpSpec("提交阶梯价格与三年框架协议方案", -10),
            FollowUpSpec("与客户采购总监复盘报价", 20),
        ],
    ),
    ReviewSpec(
        kind="lost",
        status=ReviewStatus.REVIEWED,
        days_ago=60,
        attribution="service_capability",
        causes=("operations", "service"),
        before="850000",
        evidence=(
            "## 客户技术团队要求更换供应商\n\n"
            "连续两次故障恢复超过承诺时间，客户技术团队正式要求更换供应商。\n\n"
            "The customer's technical team asked to replace us after two slow recoveries."
        ),
        customer_attendees="客户 CTO 赵强",
        decision="运维与售后联合整改，季度内向客户通报改进结果。",
        notes="售后追溯：运维值守与升级流程不足，服务响应慢。",
        wants_links=True,
        follow_ups=[FollowUpSpec("运维整改：故障升级流程与值守排班", 30)],
    ),
    ReviewSpec(
        kind="shrinking",
        status=ReviewStatus.OPEN,
        days_ago=12,
        before="800000",
        after="600000",
        evidence="用量连续四周下降约 25%，原因待查。 Usage fell about 25 % for four weeks.",
        follow_ups=[FollowUpSpec("约客户技术负责人面谈了解原因", 14)],
    ),
    ReviewSpec(
        kind="lost",
        status=ReviewStatus.CLOSED,
        days_ago=400,
        attribution="commercial",
        competitor="星河云",
        before="240000",
        evidence="合同到期未续约，客户选择了星河云的打包方案。",
        customer_attendees="客户总经理 孙丽",
        decision="记录竞品方案要点，供产品定价参考。",
        notes="竞争对手的打包价格与付款条件更优。",
    ),
    ReviewSpec(
        kind="shrinking",
        status=ReviewStatus.OPEN,
        days_ago=30,
        attribution="service_capability",
        causes=("product",),
        before="500000",
        after="350000",
        evidence="客户反馈接口功能缺失，部分业务改用自建系统。",
        notes="产品缺少批量接口；待售后与产品确认。",
    ),
]


def _accounts() -> list[Account]:
    """Six standard accounts picked by id; the service-capability review that is marked reviewed
    goes to a standard account with tickets or incidents behind it, when there is one."""
    standard = list(
        Account.objects.filter(level=AccountLevel.STANDARD, is_active=True).order_by("id")
    )
    if len(standard) >= 3 + STEP * (len(SPECS) - 1) + 1:
        chosen = [standard[3 + STEP * i] for i in range(len(SPECS))]
    elif len(standard) >= len(SPECS):
        chosen = standard[: len(SPECS)]
    else:
        chosen = list(Account.objects.order_by("id")[: len(SPECS)])
    linked = (
        Account.objects.filter(level=AccountLevel.STANDARD, is_active=True)
        .filter(Q(tickets__isnull=False) | Q(major_incidents__isnull=False))
        .exclude(pk__in=[a.pk for a in chosen])
        .order_by("id")
        .distinct()
        .first()
    )
    target = next(i for i, spec in enumerate(SPECS) if spec.wants_links)
    if (
        linked is not None
        and target < len(chosen)
        and not _has_links(chosen[target])
        and not ChurnReview.objects.filter(account=chosen[target]).exists()
    ):
        chosen[target] = linked
    return chosen


def _has_links(account: Account) -> bool:
    return (
        Ticket.objects.filter(account=account).exists()
        or MajorIncident.objects.filter(affected_accounts=account).exists()
    )


def _at(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


@transaction.atomic
def build_churn_demo() -> dict[str, int]:
    """Create or update the demo churn reviews; returns how many reviews and follow-ups."""
    today = timezone.localdate()
    staff = Employee.objects.filter(is_active=True).order_by("employee_no", "pk").first()
    reviews = follow_ups = 0
    for account, spec in zip(_accounts(), SPECS, strict=False):
        review = _review(account, spec, today)
        reviews += 1
        owner = review.owner_at_review or staff
        if owner is None:
            continue
        for item in spec.follow_ups:
            done = bool(item.done_note)
            ChurnFollowUp.objects.update_or_create(
                review=review,
                action=item.action,
                defaults={
                    "owner": owner,
                    "due_on": today + timedelta(days=item.due_in_days),
                    "done_at": _at(today + timedelta(days=item.due_in_days)) if done else None,
                    "done_note": item.done_note,
                },
            )
            follow_ups += 1
    return {"reviews": reviews, "follow_ups": follow_ups}


def _review(account: Account, spec: ReviewSpec, today: Any) -> ChurnReview:
    noticed = today - timedelta(days=spec.days_ago)
    owner = Employee.objects.filter(pk=account.owner_id).first() if account.owner_id else None
    review = ChurnReview.objects.filter(account=account).order_by("id").first()
    created = review is None
    if review is None:
        review = ChurnReview(account=account, owner_at_review=owner)
        review.department_id = owner.department_id if owner else None
    tickets = list(Ticket.objects.filter(account=account).order_by("pk")[:2])
    incidents = list(MajorIncident.objects.filter(affected_accounts=account).order_by("pk")[:1])
    status = spec.status
    if spec.attribution == "service_capability" and not (tickets or incidents):
        status = ReviewStatus.OPEN  # nothing behind it to link: it cannot count as reviewed
    review.kind = spec.kind
    review.status = status
    review.noticed_on = noticed
    review.review_held_on = noticed + timedelta(days=7) if status != ReviewStatus.OPEN else None
    review.revenue_before = Decimal(spec.before) if spec.before is not None else None
    review.revenue_after = Decimal(spec.after) if spec.after is not None else None
    review.currency = "CNY"
    review.evidence = spec.evidence
    review.customer_attendees = spec.customer_attendees
    review.decision = spec.decision
    review.attribution = spec.attribution
    review.competitor = spec.competitor
    review.attribution_notes = spec.notes
    for area, name in CAUSE_FIELDS.items():
        setattr(review, name, area in spec.causes)
    review.reviewed_at = _at(noticed + timedelta(days=7)) if status != ReviewStatus.OPEN else None
    review.closed_at = _at(noticed + timedelta(days=30)) if status == ReviewStatus.CLOSED else None
    review.full_clean(validate_constraints=False)
    review.save()
    # The review was opened when the churn was noticed (the timeline shows it there).
    ChurnReview.objects.filter(pk=review.pk).update(created_at=_at(noticed))
    review.refresh_from_db()
    if owner is not None:
        review.attendees.set([owner])
    if spec.attribution == "service_capability":
        review.tickets.set(tickets)
        review.incidents.set(incidents)
    if created:
        path = [ReviewStatus.OPEN, ReviewStatus.REVIEWED, ReviewStatus.CLOSED]
        steps = path[: path.index(ReviewStatus(status)) + 1]
        for offset, (old, new) in enumerate(zip(["", *steps], steps, strict=False)):
            ChurnStatusChange.objects.create(
                review=review,
                old_status=old,
                new_status=new,
                at=_at(noticed) + timedelta(days=7 * offset),
            )
    services.record_timeline(review, None)
    return review
