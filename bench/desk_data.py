"""Generated service-desk data for ``bench/desk.py``: a bilingual ticket history loaded in bulk.

What it builds, on top of the demo organisation (``kehu.org.demo.build_demo``: departments,
employees, users, calendars, SLA policies with four escalation levels, accounts, contacts):

* ``tickets`` tickets over the two years before generation, ids in creation order; about 90 %
  resolved or closed (resolved only within the last week, older ones closed) and 10 % open
  (new, open, waiting on customer, waiting on third party), open ones mostly recent;
* about ``messages_per_ticket`` messages each (new tickets: one or two), Chinese (70 %) or English
  (30 %) by ticket, from topic phrase pools: the common words 发票 / invoice (billing topic) and
  登录 / login, VPN, 网络; the rare words 蓝牙 and kubernetes in about one ticket in 10,000;
* tags, open pauses of waiting tickets, SLA clocks and the SLA events already fired;
* one search document per ticket, built with ``kehu.desk.search`` (tokens exactly as
  ``index_ticket`` would store them); on SQLite the FTS5 table follows through its triggers.

SLA clocks of open tickets are computed with the SLA engine exactly as ``clocks.recompute`` does,
as if the sweep had run continuously until generation time ``T0``: warnings and escalation levels
whose instants are before ``T0`` have their ``SlaEvent`` rows and ``next_check_at`` is the next
pending instant. Finished clocks of resolved and closed tickets get wall-clock due and warning
instants (no engine work; nothing measured reads them), and their business-minute statistics are
approximate.

Loading bypasses the ORM: PostgreSQL ``COPY`` with foreign-key triggers off
(``session_replication_role = replica``) and SQLite ``executemany`` with foreign keys off, plain
(non-unique) indexes dropped first and recreated afterwards, then ``VACUUM ANALYZE`` / ``ANALYZE``.
Every row is valid by construction.
"""

from __future__ import annotations

import json
import random
import time as clock
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# --- phrase pools ----------------------------------------------------------------------------
# Each phrase is one clause; messages join clauses with punctuation, which the tokenizer splits
# on, so a message's tokens are exactly the concatenation of its clauses' tokens. The rare words'
# characters (蓝, 牙) and "kubernetes" appear nowhere else.

TOPICS_ZH: dict[str, tuple[list[str], list[str]]] = {
    # topic: (subjects, requester clauses)
    "billing": (
        [
            "请重新开具发票",
            "发票抬头错误",
            "增值税专用发票未收到",
            "账单金额与合同不符",
            "电子发票重复开具",
        ],
        [
            "上月的发票抬头写错了，请重新开具发票",
            "发票金额与合同约定不一致",
            "增值税专用发票还没有收到",
            "请把电子发票发到财务邮箱",
            "本月账单比合同多收了三万元",
            "财务要求本周内完成发票冲红",
        ],
    ),
    "login": (
        ["无法登录系统", "账号被锁定", "登录页面空白", "验证码收不到", "单点登录跳转失败"],
        [
            "登录时提示密码错误",
            "账号被锁定无法登录",
            "登录页面一直转圈",
            "手机验证码一直收不到",
            "单点登录跳转后提示无权限",
            "换了电脑以后就无法登录了",
        ],
    ),
    "network": (
        ["办公室网络时断时续", "VPN 无法连接", "无线网络信号弱", "远程桌面频繁断开"],
        [
            "办公室网络时断时续",
            "无线网络信号很弱",
            "网络延迟很高，视频会议卡顿",
            "VPN 连接后无法访问内网",
            "远程桌面连接经常中断",
            "今天早上开始所有人都连不上 VPN",
        ],
    ),
    "printer": (
        ["打印机无法连接", "扫描件无法保存", "打印内容空白"],
        [
            "打印机无法连接",
            "打印出来的文件是空白的",
            "扫描件无法保存到共享盘",
            "打印机提示缺纸但纸是满的",
        ],
    ),
    "data": (
        ["数据同步延迟", "报表数据不一致", "导出表格缺少字段"],
        [
            "仓储系统数据同步延迟超过一小时",
            "报表数据与实际库存不符",
            "导出的表格缺少客户编号字段",
            "昨天的订单没有同步过来",
        ],
    ),
    "performance": (
        ["系统响应很慢", "下单接口超时", "页面加载缓慢"],
        [
            "系统响应很慢",
            "下单接口平均响应从两百毫秒升到两秒",
            "页面加载需要十几秒",
            "月底结算时系统卡死",
        ],
    ),
    "account": (
        ["申请开通新用户账号", "重置密码", "申请审批权限"],
        [
            "新入职五人，需要开通系统账号",
            "请帮忙重置密码",
            "需要增加采购审批权限",
            "离职员工的账号请停用",
        ],
    ),
}
TOPIC_WEIGHTS = {
    "billing": 15,
    "login": 20,
    "network": 20,
    "printer": 10,
    "data": 12,
    "performance": 10,
    "account": 13,
}
STAFF_ZH = [
    "您好，我们已收到您的问题，正在处理",
    "已联系二线工程师排查",
    "请提供截图和报错时间",
    "问题已修复，请您确认",
    "感谢您的耐心等待",
    "如仍有问题请随时联系我们",
    "已安排工程师上门处理",
    "我们正在复现这个问题",
]
REQUESTER_ZH = [
    "好的，谢谢",
    "还是不行，请再看看",
    "已经按步骤操作了",
    "今天上午又出现了一次",
    "这个问题影响了整个部门的工作",
    "麻烦尽快处理",
]
INTERNAL_ZH = [
    "疑似配置问题，需要运维确认",
    "客户是重点客户，优先处理",
    "已提交缺陷单，等待研发排期",
    "和上周的故障可能有关",
]
SYSTEM_ZH = ["工单状态已更新", "工单已自动分派"]

TOPICS_EN: dict[str, tuple[list[str], list[str]]] = {
    "billing": (
        [
            "Please reissue the invoice",
            "Wrong invoice address",
            "Invoice not received",
            "Bill does not match the contract",
        ],
        [
            "The invoice for last month has the wrong company name",
            "Please send a corrected invoice to our finance team",
            "The invoice amount does not match the contract",
            "We were charged twice this month",
        ],
    ),
    "login": (
        [
            "Cannot login",
            "Account locked",
            "Login page shows a blank screen",
            "Single sign-on fails",
        ],
        [
            "The login page is blank in Firefox",
            "My account is locked after three login attempts",
            "I never receive the verification code",
            "Single sign-on redirects to an error page",
        ],
    ),
    "network": (
        ["VPN does not connect", "Office network drops", "Remote desktop disconnects"],
        [
            "The VPN connects but the intranet is unreachable",
            "The office network drops every few minutes",
            "Video calls freeze because of network latency",
            "Remote desktop sessions disconnect all the time",
        ],
    ),
    "printer": (
        ["Printer offline", "Scans are not saved"],
        [
            "The printer on the third floor is offline",
            "Printed pages come out blank",
            "Scans are not saved to the shared drive",
        ],
    ),
    "data": (
        ["Data sync delayed", "Report numbers are wrong"],
        [
            "Warehouse data sync is more than an hour late",
            "The monthly report does not match the stock",
            "Yesterday's orders did not sync",
        ],
    ),
    "performance": (
        ["System is very slow", "Order API times out"],
        [
            "The order API takes two seconds per call",
            "Pages take ten seconds to load",
            "The system freezes during month-end closing",
        ],
    ),
    "account": (
        ["New user accounts", "Password reset", "Approval permission"],
        [
            "Five new hires need accounts",
            "Please reset my password",
            "I need approval rights for purchasing",
        ],
    ),
}
STAFF_EN = [
    "Thank you, we received your request and are looking into it",
    "We escalated this to second-level support",
    "Could you send a screenshot and the time of the error",
    "The problem is fixed, please confirm",
    "Thanks for your patience",
    "Let us know if the problem comes back",
]
REQUESTER_EN = [
    "Thanks",
    "It still does not work",
    "I followed the steps",
    "It happened again this morning",
    "This blocks the whole team",
]
INTERNAL_EN = [
    "Probably a configuration issue, ask operations",
    "Key account, handle first",
    "Defect filed, waiting for R&D",
]
SYSTEM_EN = ["Status updated", "Assigned automatically"]
RARE_ZH = "蓝牙耳机无法配对"
RARE_EN = "The kubernetes cluster upgrade failed"
TAG_NAMES = [
    "VIP",
    "账单",
    "network",
    "回访",
    "重保",
    "hardware",
    "SSO",
    "发票",
    "批量",
    "security",
]

COMMON_ZH, RARE_ZH_WORD, COMMON_EN, RARE_EN_WORD = "发票", "蓝牙", "invoice", "kubernetes"


# --- tokens, cached per clause -----------------------------------------------------------------


class Phrases:
    """Per clause: the tokens ``search.tokenize`` gives and the single CJK characters that
    ``search.document_tokens`` appends, both as space-joined strings."""

    def __init__(self) -> None:
        from kehu.desk import search

        self._search = search
        self._cache: dict[str, tuple[str, str, int]] = {}

    def parts(self, clause: str) -> tuple[str, str, int]:
        found = self._cache.get(clause)
        if found is None:
            search = self._search
            singles = [c for c in search._normalise(clause) if search.is_cjk(c)]
            found = (" ".join(search.tokenize(clause)), " ".join(singles), len(singles))
            self._cache[clause] = found
        return found

    def document(self, clauses: Sequence[str]) -> str:
        """``" ".join(document_tokens(sep.join(clauses)))`` for clauses joined by punctuation."""
        tokens, singles, count = [], [], 0
        for clause in clauses:
            t, s, n = self.parts(clause)
            if t:
                tokens.append(t)
            if s:
                singles.append(s)
            count += n
        if count > 1:
            tokens.extend(singles)
        return " ".join(tokens)


# --- the organisation ---------------------------------------------------------------------------


@dataclass
class Org:
    departments: dict[str, int]
    members: dict[int, list[int]]  # department id → employee ids
    employees: list[int]
    employee_department: dict[int, int]
    contacts: list[tuple[int, int, str, str]]  # (contact id, account id, name, account level)
    staff_users: list[tuple[int, str]]
    categories: dict[int, list[int]]
    agent_user_id: int
    tag_ids: list[int] = field(default_factory=list)


def build_org(extra_accounts: int = 200) -> Org:
    """The demo organisation plus ``extra_accounts`` accounts with five contacts each."""
    from kehu.access.models import User
    from kehu.customers.models import Account, Contact
    from kehu.desk.models import Category, Tag
    from kehu.org.demo import build_demo
    from kehu.org.models import Department, Employee

    build_demo()
    levels = ["strategic", "key", "standard", "standard", "standard"]
    if not Account.objects.filter(name__startswith="基准客户").exists():
        accounts = Account.objects.bulk_create(
            Account(name=f"基准客户{n:04d}", name_en=f"Bench customer {n}", level=levels[n % 5])
            for n in range(extra_accounts)
        )
        Contact.objects.bulk_create(
            Contact(account=a, name=f"{a.name}联系人{k}", email=f"c{a.pk}-{k}@bench.example")
            for a in accounts
            for k in range(5)
        )
    for name in TAG_NAMES:
        Tag.objects.get_or_create(name=name)
    departments = {d.code: d.pk for d in Department.objects.all()}
    members: dict[int, list[int]] = {}
    employee_department = {}
    for pk, department_id in Employee.objects.values_list("pk", "department_id"):
        members.setdefault(department_id, []).append(pk)
        employee_department[pk] = department_id
    contacts = [
        (c.pk, c.account_id, c.name, c.account.level)
        for c in Contact.objects.select_related("account").order_by("pk")
    ]
    staff = [
        (u.pk, u.full_name or u.username)
        for u in User.objects.filter(username__in=["agent", "lead", "admin"]).order_by("pk")
    ]
    categories: dict[int, list[int]] = {}
    for pk, department_id in Category.objects.values_list("pk", "department_id"):
        categories.setdefault(department_id, []).append(pk)
    return Org(
        departments=departments,
        members=members,
        employees=sorted(employee_department),
        employee_department=employee_department,
        contacts=contacts,
        staff_users=staff,
        categories=categories,
        agent_user_id=User.objects.get(username="agent").pk,
        tag_ids=list(Tag.objects.filter(name__in=TAG_NAMES).values_list("pk", flat=True)),
    )


# --- SLA -------------------------------------------------------------------------------------------


class SlaModel:
    """Policy matching and clock arithmetic mirroring ``kehu.desk.clocks`` for generated tickets."""

    def __init__(self) -> None:
        from kehu.desk.models import SlaPolicy
        from kehu.desk.sla import clocks, selectors
        from kehu.desk.sla import engine as sla

        self.sla = sla
        self.clocks = clocks
        self.policies = list(selectors.sla_policies().filter(is_active=True))
        self._calendars: dict[int, Any] = {}
        self._steps: dict[int, tuple[Any, ...]] = {}
        for policy in SlaPolicy.objects.filter(is_active=True).select_related("calendar"):
            self._calendars[policy.pk] = selectors.engine_calendar(policy.calendar)
            self._steps[policy.pk] = tuple(policy.escalation_steps.order_by("level"))
        self._match: dict[tuple[Any, ...], Any] = {}

    def match(
        self,
        ticket_type: str,
        priority: str,
        department_id: int,
        category_id: int | None,
        level: str | None,
    ):
        key = (ticket_type, priority, department_id, category_id, level)
        if key not in self._match:
            from kehu.desk.sla import selectors

            found = selectors.sla_policy_for(
                ticket_type=ticket_type,
                priority=priority,
                department_id=department_id,
                category_id=category_id,
                account_level=level,
                policies=self.policies,
            )
            if found is None:
                self._match[key] = None
            else:
                policy, target = found
                self._match[key] = (
                    policy,
                    target,
                    self._calendars[policy.pk],
                    self._steps[policy.pk],
                    float(policy.warning_fraction),
                )
        return self._match[key]

    def running_clock(
        self,
        match: Any,
        started: datetime,
        minutes: int,
        pauses: list[tuple[datetime, datetime | None]],
        stopped: datetime | None,
        now: datetime,
    ) -> tuple[datetime | None, datetime | None, bool, datetime | None, list[tuple[str, int]]]:
        """(due, warn, breached, next_check, fired events) as ``clocks._evaluate`` leaves a clock
        once every warning and escalation before ``now`` has fired."""
        _policy, _target, calendar, steps, fraction = match
        sla = self.sla
        target = timedelta(minutes=minutes)
        state = sla.evaluate_target(
            calendar, started_at=started, target=target, now=now, pauses=pauses, met_at=stopped
        )
        if state.due_at is None:
            return None, None, state.breached, None, []
        closed = [(s, e if e is not None else now) for s, e in pauses]
        warn = sla.add_business_time(calendar, started, target * fraction, closed)
        if stopped is not None:
            return state.due_at, warn, state.breached, None, []
        fired: list[tuple[str, int]] = []
        pending: list[datetime] = []
        if warn <= now:
            fired.append(("warning", 0))
        else:
            pending.append(warn)
        # Long overdue clocks reached every level (the longest calendar gap is under 3 weeks).
        long_overdue = state.due_at < now - timedelta(days=21)
        for step in steps:
            if long_overdue:
                fired.append(("escalation", step.level))
                continue
            instant = sla.add_business_time(
                calendar, state.due_at, timedelta(minutes=step.after_minutes), closed
            )
            if instant <= now:
                fired.append(("escalation", step.level))
            else:
                pending.append(instant)
                break
        return state.due_at, warn, state.breached, (min(pending) if pending else None), fired


# --- row generation ------------------------------------------------------------------------------

OPEN_KINDS = [("new", 20), ("open", 50), ("waiting_customer", 20), ("waiting_third_party", 10)]
TYPES_BY_DEPARTMENT = {
    "SUPPORT": [("question", 45), ("service_request", 25), ("complaint", 10), ("incident", 20)],
    "OPS": [("incident", 60), ("service_request", 40)],
    "RND": [("defect", 60), ("new_requirement", 40)],
}
IMPACTS = ["individual", "group", "organisation", "widespread"]
SEVERITIES = ["low", "medium", "high", "critical"]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


@dataclass
class Batch:
    tickets: list[tuple] = field(default_factory=list)
    messages: list[tuple] = field(default_factory=list)
    tags: list[tuple] = field(default_factory=list)
    clocks: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    pauses: list[tuple] = field(default_factory=list)
    documents: list[tuple] = field(default_factory=list)


@dataclass
class Counters:
    tickets: int = 0
    open: int = 0
    messages: int = 0
    clocks: int = 0
    events: int = 0
    rare_zh: int = 0
    rare_en: int = 0
    common_zh: int = 0
    common_en: int = 0


class Generator:
    """Produces rows in batches of ``batch`` tickets; ids continue after ``first_ids``."""

    def __init__(
        self,
        *,
        org: Org,
        sla_model: SlaModel,
        tickets: int,
        messages_per_ticket: int,
        now: datetime,
        first_ids: dict[str, int],
        fmt: Callable[[datetime | None], Any],
        seed: int = 7,
    ) -> None:
        from kehu.desk.sla.services import priority_for

        self.org, self.sla, self.n, self.m = org, sla_model, tickets, messages_per_ticket
        self.now, self.fmt = now, fmt
        self.rng = random.Random(seed)
        self.ids = dict(first_ids)
        self.phrases = Phrases()
        self.priority = {(i, s): priority_for(i, s) for i in IMPACTS for s in SEVERITIES}
        self.count = Counters()
        self.owed = 0  # messages new tickets did not get, made up by the next worked tickets
        self.span = timedelta(days=730).total_seconds()
        self.start = now - timedelta(days=730)
        self.department_codes = [("SUPPORT", 60), ("OPS", 20), ("RND", 20)]
        self.staff = org.staff_users

    def _next(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def batches(self, size: int) -> Iterator[Batch]:
        for first in range(0, self.n, size):
            batch = Batch()
            for i in range(first, min(self.n, first + size)):
                self._ticket(i, batch)
            yield batch

    def _ticket(self, i: int, out: Batch) -> None:
        rng, org, fmt, now = self.rng, self.org, self.fmt, self.now
        count = self.count
        created = self.start + timedelta(seconds=self.span * (i + rng.random()) / self.n)
        created = created.replace(microsecond=0)
        age = now - created
        is_open = rng.random() < (0.70 if age < timedelta(days=30) else 0.074)
        status = _weighted(rng, OPEN_KINDS) if is_open else "closed"
        dept_code = _weighted(rng, self.department_codes)
        department = org.departments[dept_code]
        ticket_type = _weighted(rng, TYPES_BY_DEPARTMENT[dept_code])
        impact = rng.choices(IMPACTS, weights=[50, 30, 15, 5])[0]
        severity = rng.choices(SEVERITIES, weights=[30, 45, 20, 5])[0]
        priority = self.priority[(impact, severity)]
        categories = org.categories.get(department, [])
        category = rng.choice(categories) if categories and rng.random() < 0.7 else None
        if rng.random() < 0.1:  # an employee's internal request
            employee = rng.choice(org.employees)
            contact = account = None
            requester = (employee, org.employee_department[employee], f"员工{employee}")
            level = None
            channel = "internal"
        else:
            contact, account, contact_name, level = rng.choice(org.contacts)
            requester = None
            channel = rng.choice(["web", "phone", "email", "portal", "api"])
        members = org.members.get(department, [])
        assignee = (
            rng.choice(members) if members and (status != "new" or rng.random() < 0.5) else None
        )
        chinese = rng.random() < 0.7
        topic = _weighted(rng, list(TOPIC_WEIGHTS.items()))
        subjects, clauses = (TOPICS_ZH if chinese else TOPICS_EN)[topic]
        subject = rng.choice(subjects)
        staff_pool, req_pool = (STAFF_ZH, REQUESTER_ZH) if chinese else (STAFF_EN, REQUESTER_EN)
        internal_pool, system_pool = (
            (INTERNAL_ZH, SYSTEM_ZH) if chinese else (INTERNAL_EN, SYSTEM_EN)
        )
        rare = rng.random() < 1e-4
        if topic == "billing":
            if chinese:
                count.common_zh += 1
            else:
                count.common_en += 1

        ticket_id = self._next("ticket")
        # Timeline.
        first_response = resolved = closed = awaiting = None
        if status != "new":
            first_response = created + timedelta(minutes=rng.choice([12, 35, 70, 180, 600, 1500]))
            if first_response >= now:
                first_response = created + (now - created) / 3
        end = now
        if not is_open:
            resolved = created + timedelta(minutes=rng.randrange(60, 60 * 24 * 10))
            if resolved >= now:
                resolved = created + (now - created) / 2
            if first_response and first_response > resolved:
                first_response = created + (resolved - created) / 2
            if now - resolved < timedelta(days=7) and rng.random() < 0.8:
                status = "resolved"
            else:
                closed = resolved + timedelta(days=7)
                if closed >= now:
                    closed = resolved + (now - resolved) / 2
            end = resolved
        first_response = first_response.replace(microsecond=0) if first_response else None
        resolved = resolved.replace(microsecond=0) if resolved else None
        closed = closed.replace(microsecond=0) if closed else None

        # Messages: the request, the first response, then a random conversation.
        # New tickets hold one or two messages; what they lack goes to the next worked tickets,
        # so the total is ``tickets × messages_per_ticket``.
        if status == "new":
            n_messages = rng.randint(1, 2)
            self.owed += self.m - n_messages
        else:
            extra = min(self.owed, self.m)
            n_messages = self.m + extra
            self.owed -= extra
        times = sorted(
            created + (end - created) * rng.random() for _ in range(max(0, n_messages - 2))
        )
        plan: list[tuple[str, datetime]] = [("request", created)]
        if n_messages >= 2:
            if status == "new":
                plan.append(("requester", created + (end - created) * rng.random()))
            else:
                plan.append(("staff", first_response or created))
                times = [t if t > plan[-1][1] else plan[-1][1] for t in times]
        for t in times:
            plan.append(
                (rng.choices(["requester", "staff", "internal", "system"], [35, 40, 20, 5])[0], t)
            )
        if status == "open" and rng.random() < 0.3 and n_messages >= 2:
            # The customer wrote last and waits for an answer: a next-response clock runs.
            last = max(plan[-1][1], first_response or created)
            plan[-1] = ("requester", last)
            awaiting = last.replace(microsecond=0)
        public_docs: list[str] = [f"kh {ticket_id}"]
        internal_docs: list[str] = []
        rare_at = rng.randrange(n_messages) if rare else -1
        for k, (role, when) in enumerate(plan):
            if role == "request":
                chosen = [rng.choice(clauses)]
                if rng.random() < 0.5:
                    chosen.append(rng.choice(clauses))
            elif role == "requester":
                chosen = [rng.choice(req_pool)] + (
                    [rng.choice(clauses)] if rng.random() < 0.3 else []
                )
            elif role == "staff":
                chosen = [rng.choice(staff_pool)] + (
                    [rng.choice(staff_pool)] if rng.random() < 0.3 else []
                )
            elif role == "internal":
                chosen = [rng.choice(internal_pool)]
            else:
                chosen = [rng.choice(system_pool)]
            if k == rare_at:
                chosen.append(RARE_ZH if chinese else RARE_EN)
                if chinese:
                    count.rare_zh += 1
                else:
                    count.rare_en += 1
            body = ("，".join(chosen) + "。") if chinese else (". ".join(chosen) + ".")
            kind = {"request": "public", "requester": "public", "staff": "public"}.get(role, role)
            if role in ("request", "requester"):
                author, author_name, from_requester = (
                    None,
                    requester[2] if requester else contact_name,
                    True,
                )
            elif role == "system":
                author, author_name, from_requester = None, "系统" if chinese else "System", False
            else:
                author, author_name = rng.choice(self.staff)
                from_requester = False
            out.messages.append(
                (
                    self._next("message"),
                    kind,
                    author_name,
                    from_requester,
                    body,
                    fmt(when.replace(microsecond=0)),
                    author,
                    ticket_id,
                )
            )
            (internal_docs if kind == "internal" else public_docs).append(
                self.phrases.document(chosen)
            )
        count.messages += len(plan)

        tag_names: list[str] = []
        if rng.random() < 0.4:
            tag_index = rng.randrange(len(org.tag_ids))
            out.tags.append((self._next("ticket_tags"), ticket_id, org.tag_ids[tag_index]))
            tag_names.append(TAG_NAMES[tag_index])
        if tag_names:
            public_docs.insert(1, " ".join(self.phrases.document([n]) for n in tag_names))

        # SLA.
        match = self.sla.match(ticket_type, priority, department, category, level)
        pauses: list[tuple[datetime, datetime | None]] = []
        if status in ("waiting_customer", "waiting_third_party"):
            pause_start = (first_response or created) + (
                now - (first_response or created)
            ) * rng.random()
            pause_start = pause_start.replace(microsecond=0)
            pauses.append((pause_start, None))
            out.pauses.append((self._next("pause"), fmt(pause_start), None, status, ticket_id))
        next_due = next_warn = None
        breached = False
        escalation = 0
        policy_id = None
        if match is not None:
            policy, target = match[0], match[1]
            policy_id = policy.pk
            wanted = [
                (
                    "first_response",
                    1,
                    created,
                    first_response or resolved or closed,
                    target.first_response_minutes,
                ),
                ("resolution", 1, created, resolved or closed, target.resolution_minutes),
            ]
            if awaiting and target.next_response_minutes:
                wanted.append(("next_response", 1, awaiting, None, target.next_response_minutes))
            for name, cycle, started, stopped, minutes in wanted:
                clock_id = self._next("slaclock")
                if is_open:
                    due, warn, late, check, fired = self.sla.running_clock(
                        match, started, minutes, pauses, stopped, now
                    )
                else:  # finished: wall-clock instants, never read by the measured paths
                    due = started + timedelta(minutes=minutes)
                    warn = started + timedelta(minutes=minutes * match[4])
                    late = stopped is not None and stopped > due
                    check, fired = None, []
                breached = breached or late
                out.clocks.append(
                    (
                        clock_id,
                        name,
                        cycle,
                        fmt(started),
                        fmt(stopped),
                        minutes,
                        fmt(due),
                        fmt(warn),
                        late,
                        fmt(check),
                        ticket_id,
                    )
                )
                for kind, lvl in fired:
                    out.events.append(
                        (self._next("slaevent"), kind, lvl, fmt(now), clock_id, policy_id)
                    )
                    if kind == "escalation" and late and stopped is None:
                        escalation = max(escalation, lvl)
                count.events += len(fired)
                count.clocks += 1
                if stopped is None and due is not None:
                    next_due = due if next_due is None else min(next_due, due)
                    if warn is not None:
                        next_warn = warn if next_warn is None else min(next_warn, warn)
        elif not is_open:
            breached = False

        updated = max(t for _r, t in plan).replace(microsecond=0)
        if resolved:
            updated = max(updated, closed or resolved)
        fr_minutes = (
            int((first_response - created).total_seconds() // 180) if first_response else None
        )
        res_minutes = int((resolved - created).total_seconds() // 180) if resolved else None
        out.tickets.append(
            (
                ticket_id,
                fmt(created),
                fmt(updated),
                1 + len(plan) // 3,
                subject,
                ticket_type,
                status,
                channel,
                impact,
                severity,
                priority,
                "",
                "{}",
                fmt(first_response),
                fr_minutes,
                fmt(resolved),
                res_minutes,
                0,
                fmt(closed),
                fmt(next_due),
                breached,
                escalation,
                fmt(awaiting),
                account,
                assignee,
                category,
                contact,
                self.org.agent_user_id if channel in ("web", "phone") else None,
                department,
                None,
                requester[0] if requester else None,
                requester[1] if requester else None,
                None,
                policy_id,
                fmt(next_warn),
            )
        )
        out.documents.append(
            (
                ticket_id,
                self.phrases.document([subject]),
                " ".join(d for d in public_docs if d),
                " ".join(d for d in internal_docs if d),
                fmt(updated),
            )
        )
        count.tickets += 1
        count.open += is_open


TICKET_COLUMNS = [
    "id",
    "created_at",
    "updated_at",
    "version",
    "subject",
    "ticket_type",
    "status",
    "channel",
    "impact",
    "severity",
    "priority",
    "priority_reason",
    "custom_values",
    "first_response_at",
    "first_response_minutes",
    "resolved_at",
    "resolution_minutes",
    "paused_minutes",
    "closed_at",
    "next_due_at",
    "sla_breached",
    "escalation_level",
    "awaiting_reply_since",
    "account_id",
    "assignee_id",
    "category_id",
    "contact_id",
    "created_by_id",
    "department_id",
    "merged_into_id",
    "requester_employee_id",
    "requesting_department_id",
    "service_id",
    "sla_policy_id",
    "next_warn_at",
]
TABLES = {
    "tickets": ("desk_ticket", TICKET_COLUMNS),
    "messages": (
        "desk_message",
        [
            "id",
            "kind",
            "author_name",
            "from_requester",
            "body",
            "created_at",
            "author_id",
            "ticket_id",
        ],
    ),
    "tags": ("desk_ticket_tags", ["id", "ticket_id", "tag_id"]),
    "clocks": (
        "desk_slaclock",
        [
            "id",
            "target",
            "cycle",
            "started_at",
            "stopped_at",
            "target_minutes",
            "due_at",
            "warn_at",
            "breached",
            "next_check_at",
            "ticket_id",
        ],
    ),
    "events": ("desk_slaevent", ["id", "kind", "level", "fired_at", "clock_id", "policy_id"]),
    "pauses": ("desk_pause", ["id", "started_at", "ended_at", "status", "ticket_id"]),
    "documents": (
        "desk_ticketsearchdocument",
        ["ticket_id", "subject_tokens", "public_tokens", "internal_tokens", "updated_at"],
    ),
}
ID_TABLES = {
    "ticket": "desk_ticket",
    "message": "desk_message",
    "ticket_tags": "desk_ticket_tags",
    "slaclock": "desk_slaclock",
    "slaevent": "desk_slaevent",
    "pause": "desk_pause",
}


# --- loaders -----------------------------------------------------------------------------------


def _pg_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


class PostgresLoader:
    """COPY into tables whose plain indexes are dropped first and rebuilt in parallel after."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.raw = connection.connection
        self.dropped: list[str] = []

    def fmt(self, moment: datetime | None) -> str | None:
        return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S+00")

    def prepare(self) -> None:
        with self.raw.cursor() as cur:
            cur.execute("SET session_replication_role = replica")
            for table, _columns in TABLES.values():
                cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname "
                    "NOT IN (SELECT conname FROM pg_constraint)",
                    [table],
                )
                for name, definition in cur.fetchall():
                    self.dropped.append(definition)
                    cur.execute(f'DROP INDEX "{name}"')
        self.raw.commit()

    def load(self, batch: Batch) -> None:
        with self.raw.cursor() as cur:
            for key, (table, columns) in TABLES.items():
                rows = getattr(batch, key)
                if not rows:
                    continue
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(
                        "".join("\t".join(map(_pg_text, row)) + "\n" for row in rows).encode()
                    )
        self.raw.commit()

    def finish(self, dsn: str, log: Callable[[str], None]) -> None:
        import psycopg

        with self.raw.cursor() as cur:
            cur.execute("SET session_replication_role = DEFAULT")
            for table in ID_TABLES.values():
                cur.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        self.raw.commit()
        # Two sessions build indexes side by side (2 cores); the two GIN indexes go first.
        statements = sorted(self.dropped, key=lambda s: ("gin" not in s, "desk_message" not in s))

        def build(sql: str) -> None:
            began = clock.perf_counter()
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '2GB'")
                conn.execute(sql)
            log(f"  index {sql.split()[2]}: {clock.perf_counter() - began:.1f} s")

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(build, statements))
        began = clock.perf_counter()
        with psycopg.connect(dsn, autocommit=True) as conn:
            for table, _columns in TABLES.values():
                conn.execute(f"VACUUM (ANALYZE) {table}")
        log(f"  vacuum analyze: {clock.perf_counter() - began:.1f} s")


class SqliteLoader:
    """executemany in one transaction per batch, plain indexes rebuilt after; FTS5 via triggers."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.raw = connection.connection
        self.dropped: list[str] = []

    def fmt(self, moment: datetime | None) -> str | None:
        return None if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")

    def prepare(self) -> None:
        raw = self.raw
        raw.execute("PRAGMA foreign_keys = OFF")
        raw.execute("PRAGMA synchronous = OFF")
        raw.execute("PRAGMA cache_size = -1000000")
        for table, _columns in TABLES.values():
            for name, sql in raw.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
                [table],
            ).fetchall():
                self.dropped.append(sql)
                raw.execute(f'DROP INDEX "{name}"')

    def load(self, batch: Batch) -> None:
        raw = self.raw
        raw.execute("BEGIN")
        for key, (table, columns) in TABLES.items():
            rows = getattr(batch, key)
            if rows:
                marks = ", ".join("?" * len(columns))
                raw.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )
        raw.execute("COMMIT")

    def finish(self, dsn: str, log: Callable[[str], None]) -> None:
        raw = self.raw
        for sql in self.dropped:
            began = clock.perf_counter()
            raw.execute(sql)
            log(f"  index {sql.split()[2]}: {clock.perf_counter() - began:.1f} s")
        began = clock.perf_counter()
        raw.execute("ANALYZE")
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("PRAGMA synchronous = NORMAL")
        log(f"  analyze: {clock.perf_counter() - began:.1f} s")


def generate(
    *,
    tickets: int,
    messages_per_ticket: int,
    dsn: str,
    log: Callable[[str], None],
    batch: int = 5000,
) -> dict[str, Any]:
    """Fill the (migrated, empty) database; returns counts, timings and ``T0``."""
    from django.db import connection

    timings: dict[str, float] = {}
    began = clock.perf_counter()
    org = build_org()
    sla_model = SlaModel()
    timings["organisation"] = clock.perf_counter() - began
    connection.ensure_connection()
    loader: Any = (
        PostgresLoader(connection)
        if connection.vendor == "postgresql"
        else SqliteLoader(connection)
    )
    with connection.cursor() as cur:
        first_ids = {}
        for key, table in ID_TABLES.items():
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            first_ids[key] = cur.fetchone()[0]
    loader.prepare()
    now = datetime.now(UTC).replace(microsecond=0)
    gen = Generator(
        org=org,
        sla_model=sla_model,
        tickets=tickets,
        messages_per_ticket=messages_per_ticket,
        now=now,
        first_ids=first_ids,
        fmt=loader.fmt,
    )
    began = clock.perf_counter()
    make = load = 0.0
    mark = clock.perf_counter()
    last_report = mark
    for rows in gen.batches(batch):
        t1 = clock.perf_counter()
        make += t1 - mark
        loader.load(rows)
        mark = clock.perf_counter()
        load += mark - t1
        if mark - last_report > 30:
            last_report = mark
            done = gen.count.tickets
            log(
                f"  {done:,} tickets, {gen.count.messages:,} messages "
                f"({done / (mark - began):,.0f} tickets/s; generate {make:.0f} s, load {load:.0f} s)"
            )
    timings["rows"] = clock.perf_counter() - began
    timings["rows_generate"] = make
    timings["rows_load"] = load
    began = clock.perf_counter()
    loader.finish(dsn, log)
    timings["indexes"] = clock.perf_counter() - began
    return {"t0": now.isoformat(), "counts": vars(gen.count), "timings": timings}


def write_meta(path: Any, meta: dict[str, Any]) -> None:
    path.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
