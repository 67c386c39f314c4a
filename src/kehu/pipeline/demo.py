"""Demo data of the pipeline: a year of leads and opportunities on the demo accounts.

Sixty opportunities on the first thirty accounts that have an owner, opened over the last
twelve months and moved stage by stage (dated history, so the conversion figures and cycle
times mean something), some won, some lost, the rest open and closing over the coming months;
twenty-four leads in every status. Names in Chinese with the English beside them.

Deterministic (seeded, dates relative to today) and idempotent: an opportunity is found again
by its account and name, a lead by its title, and left as it is — never duplicated.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kehu.customers.models import Account
from kehu.org.models import Employee
from kehu.pipeline import services
from kehu.pipeline.defaults import ensure_default_stages
from kehu.pipeline.models import Lead, LeadSource, LeadStatus, Opportunity, Outcome, Stage

DEALS = [
    ("云平台扩容", "Cloud platform expansion"),
    ("数据中心迁移", "Data centre migration"),
    ("客服系统升级", "Service desk upgrade"),
    ("年度运维服务续约", "Annual operations renewal"),
    ("安全合规改造", "Security compliance overhaul"),
    ("数据分析平台", "Analytics platform"),
    ("移动办公套件", "Mobile office suite"),
    ("灾备中心建设", "Disaster recovery site"),
]
COMPETITORS = ["华信科技", "Oracle", "东方软件", "AWS", "金蝶云"]
LEADS = [
    ("官网咨询：私有云", "Website enquiry: private cloud"),
    ("展会名片：智能客服", "Trade fair card: AI service desk"),
    ("老客户推荐", "Referral by a customer"),
    ("合作伙伴商机", "Partner opportunity"),
]
REASONS_WON = ["solution", "relationship", "service"]
REASONS_LOST = ["price", "competitor", "budget", "no_decision"]


def _at(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


def build_pipeline_demo() -> dict[str, int]:
    """Create what is missing of the pipeline demo; returns the counts afterwards."""
    ensure_default_stages()
    rng = random.Random(15)  # noqa: S311 — demo data, not secrets
    today = timezone.localdate()
    accounts = list(Account.objects.filter(owner__isnull=False).order_by("pk")[:30])
    employees = list(Employee.objects.filter(is_active=True).order_by("pk")[:40])
    stages = list(Stage.objects.filter(is_active=True))
    open_stages = [s for s in stages if s.outcome == Outcome.OPEN]
    won = next(s for s in stages if s.outcome == Outcome.WON)
    lost = next(s for s in stages if s.outcome == Outcome.LOST)
    existing = set(Opportunity.objects.values_list("account_id", "name"))
    for index, account in enumerate(accounts):
        for n in range(2):
            zh, en = DEALS[(index + n * 3) % len(DEALS)]
            name = f"{zh} · {en}"
            amount = Decimal(rng.randrange(50, 3000) * 1000)
            opened = today - timedelta(days=rng.randrange(20, 360))
            if (account.pk, name) in existing:
                continue
            _one(rng, account, name, amount, opened, today, employees, open_stages, won, lost)
    _leads(rng, accounts, employees, today)
    return {
        "opportunities": Opportunity.objects.count(),
        "leads": Lead.objects.count(),
    }


def _one(
    rng: random.Random,
    account: Account,
    name: str,
    amount: Decimal,
    opened: Any,
    today: Any,
    employees: list[Employee],
    open_stages: list[Stage],
    won: Stage,
    lost: Stage,
) -> None:
    helpers = [e for e in employees if e.pk != account.owner_id]
    found = services.opportunity_create(
        by=None,
        account=account,
        name=name,
        amount=amount,
        currency="CNY" if rng.random() < 0.85 else "USD",
        expected_close=today + timedelta(days=rng.randrange(-30, 180)),
        sr=rng.choice(helpers) if helpers else None,
        fr=rng.choice(helpers) if helpers else None,
        now=_at(opened),
    )
    Opportunity.objects.filter(pk=found.pk).update(created_at=_at(opened))
    if rng.random() < 0.6:
        services.competitor_add(
            opportunity=found,
            name=rng.choice(COMPETITORS),
            threat=rng.choice(["low", "medium", "high"]),
        )
    # Walk it along: each step a few weeks later, never past today.
    fate = rng.random()
    steps = rng.randrange(0, len(open_stages))
    when = opened
    version = found.version
    for stage in open_stages[1 : steps + 1]:
        when = when + timedelta(days=rng.randrange(7, 40))
        if when >= today:
            return
        services.opportunity_move(
            opportunity=found, version=version, to_stage=stage, by=None, now=_at(when)
        )
        version += 1
    when = when + timedelta(days=rng.randrange(7, 30))
    if when >= today or fate > 0.55:
        return  # still open
    if fate < 0.3:
        target, reason = won, rng.choice(REASONS_WON)
    else:
        target, reason = lost, rng.choice(REASONS_LOST)
    services.opportunity_move(
        opportunity=found,
        version=version,
        to_stage=target,
        by=None,
        win_loss_reason=reason,
        now=_at(when),
    )


def _leads(
    rng: random.Random, accounts: list[Account], employees: list[Employee], today: Any
) -> None:
    known = set(Lead.objects.values_list("title", flat=True))
    statuses = [LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.DISQUALIFIED]
    for n in range(24):
        zh, en = LEADS[n % len(LEADS)]
        title = f"{zh} #{n + 1} · {en}"
        if title in known:
            continue
        on_account = n % 3 == 0 and accounts
        lead = services.lead_create(
            title=title,
            source=LeadSource.values[n % len(LeadSource.values)],
            account=accounts[n % len(accounts)] if on_account else None,
            prospect_name="" if on_account else f"潜在客户{n + 1}（Prospect {n + 1}）",
            contact_name=f"联系人{n + 1}",
            owner=employees[n % len(employees)] if employees else None,
            status=statuses[n % len(statuses)],
        )
        Lead.objects.filter(pk=lead.pk).update(
            created_at=_at(today - timedelta(days=rng.randrange(1, 300)))
        )
        if on_account and n % 2 == 0 and lead.status != LeadStatus.DISQUALIFIED:
            services.lead_convert(
                lead=lead,
                version=lead.version,
                by=None,
                amount=Decimal(rng.randrange(20, 500) * 1000),
                expected_close=today + timedelta(days=rng.randrange(30, 200)),
            )
