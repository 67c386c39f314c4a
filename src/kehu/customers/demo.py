"""Demo accounts: 220 bilingual customers with owners, teams, tags, custom fields and contacts.

Deterministic (a fixed seed and a fixed anchor date) and idempotent: accounts are matched by
name, so running it again refreshes the same rows instead of adding new ones. Rows are written
with bulk operations, so the whole set takes a few seconds.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.text import pinyin_key
from kehu.customers.models import (
    Account,
    AccountLevel,
    AccountTeamMember,
    Contact,
    CustomField,
    Ownership,
    Tag,
)
from kehu.customers.normalise import company_name_key, phone_key
from kehu.org.models import Employee

SEED = 20261125
ANCHOR = date(2026, 10, 1)  # "today" of the demo history, so re-runs give the same dates
COMPANIES = 214
CITIES = [
    ("北京", "Beijing", "北京"),
    ("上海", "Shanghai", "上海"),
    ("广州", "Guangzhou", "广东"),
    ("深圳", "Shenzhen", "广东"),
    ("杭州", "Hangzhou", "浙江"),
    ("南京", "Nanjing", "江苏"),
    ("苏州", "Suzhou", "江苏"),
    ("成都", "Chengdu", "四川"),
    ("重庆", "Chongqing", "重庆"),
    ("武汉", "Wuhan", "湖北"),
    ("西安", "Xi'an", "陕西"),
    ("天津", "Tianjin", "天津"),
    ("青岛", "Qingdao", "山东"),
    ("厦门", "Xiamen", "福建"),
    ("长沙", "Changsha", "湖南"),
    ("合肥", "Hefei", "安徽"),
]
WORDS = [
    ("华信", "Huaxin"),
    ("蓝海", "Blue Ocean"),
    ("云帆", "Cloud Sail"),
    ("星河", "Galaxy"),
    ("鼎盛", "Dingsheng"),
    ("启明", "Qiming"),
    ("恒达", "Hengda"),
    ("远景", "Vista"),
    ("新锐", "Xinrui"),
    ("东方", "Oriental"),
    ("智联", "Zhilian"),
    ("天成", "Tiancheng"),
    ("中科", "Zhongke"),
    ("金桥", "Golden Bridge"),
    ("银河", "Milky Way"),
    ("青禾", "Qinghe"),
]
INDUSTRIES = [
    ("科技", "Technology", "互联网"),
    ("信息技术", "Information Technology", "软件与信息服务"),
    ("网络", "Network", "互联网"),
    ("数据", "Data", "软件与信息服务"),
    ("物流", "Logistics", "物流"),
    ("医疗", "Healthcare", "医疗"),
    ("教育科技", "EdTech", "教育"),
    ("制造", "Manufacturing", "制造"),
    ("能源", "Energy", "能源"),
    ("金融服务", "Financial Services", "金融"),
    ("零售", "Retail", "零售"),
    ("传媒", "Media", "文化传媒"),
    ("游戏", "Games", "游戏"),
    ("汽车科技", "Automotive Technology", "汽车"),
]
INDIVIDUALS = [
    ("王建国", "Wang Jianguo"),
    ("李晓梅", "Li Xiaomei"),
    ("张伟", "Zhang Wei"),
    ("陈静", "Chen Jing"),
    ("刘洋", "Liu Yang"),
    ("赵敏", "Zhao Min"),
]
# The merge demo: the same customer entered twice, a shared contact phone typed differently.
NEAR_DUPLICATES = [
    ("杭州蓝鲸科技有限公司", "Hangzhou Blue Whale Technology Co., Ltd.", "+86 139-5717-0001"),
    ("杭州蓝鲸科技", "Hangzhou Blue Whale Technology", "13957170001"),
]
TAGS = ["重点保障", "政企", "出海", "上市公司", "新签约", "高增长", "价格敏感"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "涛", "明", "超", "霞"]
ROLES = ["CTO", "运维负责人", "采购经理", "技术总监", "IT 经理", "财务总监", "架构师"]
CUSTOM_FIELDS = [
    {
        "code": "credit_rating",
        "label": "信用评级",
        "label_en": "Credit rating",
        "kind": CustomField.Kind.CHOICE,
        "choices": ["AAA", "AA", "A", "BBB", "BB"],
        "position": 1,
    },
    {
        "code": "contract_no",
        "label": "合同编号",
        "label_en": "Contract number",
        "kind": CustomField.Kind.TEXT,
        "choices": [],
        "position": 2,
    },
]
ACCOUNT_UPDATE_FIELDS = [
    "name_en",
    "kind",
    "level",
    "industry",
    "region",
    "credit_limit",
    "customer_since",
    "website",
    "custom_fields",
    "name_pinyin",
    "name_key",
    "name_en_key",
]


def _companies(rng: random.Random) -> list[dict[str, Any]]:
    combos = [(c, w, i) for c in CITIES for w in WORDS for i in INDUSTRIES]
    rng.shuffle(combos)
    rows = []
    for (city, city_en, region), (word, word_en), (trade, trade_en, industry) in combos[:COMPANIES]:
        rows.append(
            {
                "name": f"{city}{word}{trade}有限公司",
                "name_en": f"{city_en} {word_en} {trade_en} Co., Ltd.",
                "kind": Account.Kind.COMPANY,
                "industry": industry,
                "region": region,
                "website": f"{pinyin_key(word).split()[0]}-{pinyin_key(trade).split()[1]}"
                f"-{pinyin_key(city).split()[1]}.example.cn",
            }
        )
    for name, name_en in INDIVIDUALS:
        rows.append(
            {
                "name": name,
                "name_en": name_en,
                "kind": Account.Kind.INDIVIDUAL,
                "industry": "",
                "region": rng.choice(CITIES)[2],
                "website": "",
            }
        )
    for name, name_en, _phone in NEAR_DUPLICATES:
        rows.append(
            {
                "name": name,
                "name_en": name_en,
                "kind": Account.Kind.COMPANY,
                "industry": "互联网",
                "region": "浙江",
                "website": "bluewhale.example.cn",
            }
        )
    return rows


def _level(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.10:
        return AccountLevel.STRATEGIC
    if roll < 0.35:
        return AccountLevel.KEY
    return AccountLevel.STANDARD


def _credit(rng: random.Random, level: str) -> Decimal:
    low, high = {"strategic": (500, 2000), "key": (100, 500), "standard": (0, 100)}[level]
    return Decimal(rng.randint(low, high) * 10000)


def _phone(rng: random.Random) -> str:
    digits = f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"
    style = rng.randrange(3)
    if style == 0:
        return digits
    if style == 1:
        return f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


def build_accounts_demo() -> dict[str, int]:
    """Create or refresh the demo accounts; returns counts of what exists afterwards."""
    rng = random.Random(SEED)  # noqa: S311 — demo data, not secrets
    owners = list(
        Employee.objects.filter(department__code__in=("AFTERSALES", "SALES")).order_by(
            "employee_no", "pk"
        )
    )
    with audit_context(channel=Channel.SYSTEM), transaction.atomic():
        definitions = []
        for spec in CUSTOM_FIELDS:
            definition, _created = CustomField.objects.update_or_create(
                code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"}
            )
            definitions.append(definition)
        tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}

        rows = _companies(rng)
        existing = {a.name: a for a in Account.objects.filter(name__in=[r["name"] for r in rows])}
        accounts: list[Account] = []
        plans: dict[str, dict[str, Any]] = {}
        for index, row in enumerate(rows):
            level = _level(rng) if row["kind"] == Account.Kind.COMPANY else AccountLevel.STANDARD
            since = ANCHOR - timedelta(days=rng.randint(20, 8 * 365))
            values = {
                **row,
                "level": level,
                "credit_limit": _credit(rng, level),
                "customer_since": since,
                "custom_fields": {
                    "credit_rating": rng.choice(definitions[0].choices),
                    "contract_no": f"KH-{since.year}-{index + 1:04d}",
                },
                "name_pinyin": pinyin_key(row["name"]),
                "name_key": company_name_key(row["name"]),
                "name_en_key": company_name_key(row["name_en"]),
            }
            plans[row["name"]] = {
                "owner": owners[index % len(owners)] if owners else None,
                "tags": rng.sample(TAGS, rng.randint(0, 2)),
                "team": rng.sample(owners, min(len(owners), rng.randint(0, 2))),
                "contacts": rng.randint(1, 3),
            }
            account = existing.get(row["name"])
            if account is None:
                accounts.append(Account(**values, owner=plans[row["name"]]["owner"]))
            else:
                for name, value in values.items():
                    setattr(account, name, value)
        Account.objects.bulk_create(accounts)
        Account.objects.bulk_update(list(existing.values()), ACCOUNT_UPDATE_FIELDS)
        by_name = {a.name: a for a in Account.objects.filter(name__in=list(plans))}

        # A few groups: the first strategic companies are parents of some others.
        strategic = [
            by_name[r["name"]]
            for r in rows
            if by_name[r["name"]].level == AccountLevel.STRATEGIC
            and by_name[r["name"]].kind == Account.Kind.COMPANY
        ][:3]
        others = [a for a in by_name.values() if a.level == AccountLevel.STANDARD][:9]
        for n, child in enumerate(others):
            if strategic:
                child.parent = strategic[n % len(strategic)]
        Account.objects.bulk_update(others, ["parent"])

        tag_links = Account.tags.through
        tag_links.objects.bulk_create(
            [
                tag_links(account_id=by_name[name].pk, tag_id=tags[tag].pk)
                for name, plan in plans.items()
                for tag in plan["tags"]
            ],
            ignore_conflicts=True,
        )
        AccountTeamMember.objects.bulk_create(
            [
                AccountTeamMember(account=by_name[name], employee=member, role="售后工程师")
                for name, plan in plans.items()
                for member in plan["team"]
                if member != plan["owner"]
            ],
            ignore_conflicts=True,
        )

        held = set(
            Ownership.objects.filter(account__in=by_name.values()).values_list(
                "account_id", flat=True
            )
        )
        Ownership.objects.bulk_create(
            [
                Ownership(
                    account=a,
                    owner_id=a.owner_id,
                    started_at=timezone.make_aware(datetime.combine(a.customer_since, time(9))),
                    reason="客户建档",
                )
                for a in by_name.values()
                if a.owner_id and a.pk not in held and a.customer_since
            ]
        )

        have = set(
            Contact.objects.filter(account__in=by_name.values()).values_list("account_id", "name")
        )
        contacts = []
        for number, (name, plan) in enumerate(plans.items()):
            account = by_name[name]
            for k in range(plan["contacts"]):
                person = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
                phone = _phone(rng)
                if account.kind == Account.Kind.INDIVIDUAL:
                    person = account.name
                duplicate = next((d for d in NEAR_DUPLICATES if d[0] == name), None)
                if duplicate is not None and k == 0:
                    person, phone = "林蓝", duplicate[2]
                # Every draw happens before the skip, so a re-run walks the same sequence.
                role = rng.choice(ROLES)
                language = "zh-hans" if rng.random() < 0.9 else "en"
                channel = rng.choice([Contact.Channel.EMAIL, Contact.Channel.PHONE])
                if (account.pk, person) in have:
                    continue
                have.add((account.pk, person))
                domain = account.website or "mail.example.cn"
                contacts.append(
                    Contact(
                        account=account,
                        name=person,
                        email=f"{pinyin_key(person).split()[0]}{number}.{k}@{domain}",
                        phone=phone,
                        phone_key=phone_key(phone),
                        role=role,
                        language=language,
                        preferred_channel=channel,
                    )
                )
        Contact.objects.bulk_create(contacts)
        _complete_desk_accounts(owners, exclude=set(plans))
    return {
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "custom_fields": CustomField.objects.count(),
    }


def _complete_desk_accounts(owners: list[Employee], *, exclude: set[str]) -> None:
    """The service desk's demo accounts (the ones with tickets) get a tenure, a credit limit,
    an owner if they have none, and their ownership history, so their pages show whole
    dossiers. Only blanks are filled."""
    rng = random.Random(SEED + 1)  # noqa: S311 — demo data, not secrets
    bare = list(
        Account.objects.exclude(name__in=exclude).filter(customer_since__isnull=True).order_by("pk")
    )
    for n, account in enumerate(bare):
        if account.owner_id is None and owners:
            account.owner = owners[n % len(owners)]
        account.customer_since = ANCHOR - timedelta(days=rng.randint(400, 6 * 365))
        if not account.credit_limit:
            account.credit_limit = _credit(rng, account.level)
    Account.objects.bulk_update(bare, ["owner", "customer_since", "credit_limit"])
    held = set(
        Ownership.objects.filter(account__in=bare, ended_at=None).values_list(
            "account_id", flat=True
        )
    )
    Ownership.objects.bulk_create(
        [
            Ownership(
                account=a,
                owner_id=a.owner_id,
                started_at=timezone.make_aware(datetime.combine(a.customer_since, time(9))),
                reason="客户建档",
            )
            for a in bare
            if a.owner_id and a.customer_since and a.pk not in held
        ]
    )
