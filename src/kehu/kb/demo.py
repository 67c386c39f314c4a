"""The knowledge base's part of the demo: 22 articles in Chinese and English in a category tree,
some internal, a few drafts, votes and two deflected portal visits.

Repeatable: categories are found by name, articles by their Chinese title; a second run
refreshes their text without new revisions, it never duplicates. Called by ``kehu.demo``
after the desk (it reads the demo users and departments).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from kehu.access.models import User
from kehu.kb import services
from kehu.kb.models import (
    Article,
    ArticleTranslation,
    ArticleVote,
    KbCategory,
    Status,
    SuggestionOpen,
    SuggestionVisit,
    Visibility,
)
from kehu.kb.search import index_translations
from kehu.org.models import Department

# key: (name, English name, parent key, position)
CATEGORIES = {
    "billing": ("账单与发票", "Billing and invoices", None, 1),
    "account": ("账号与登录", "Accounts and sign-in", None, 2),
    "tech": ("技术支持", "Technical support", None, 3),
    "network": ("网络与连接", "Network and connectivity", "tech", 1),
    "servers": ("云主机", "Cloud servers", "tech", 2),
    "service": ("服务与 SLA", "Service and SLA", None, 4),
    "internal": ("内部手册", "Internal handbook", None, 9),
}

PUBLIC, INTERNAL = Visibility.PUBLIC, Visibility.INTERNAL
# (category, visibility, department code, zh title, zh body, en title, en body, en published)
ARTICLES = [
    (
        "billing",
        PUBLIC,
        "FIN",
        "如何重新开具发票",
        "发票信息有误时可以重新开具：\n\n1. 打开**账单 › 发票**；\n2. 选择要作废的发票，点击“重新开具”；\n3. 核对抬头和税号后提交。\n\n红冲后 1–3 个工作日内寄出新发票。",
        "How to reissue an invoice",
        "If an invoice is wrong you can have it reissued:\n\n1. Open **Billing › Invoices**;\n2. pick the invoice and click *Reissue*;\n3. check the company name and tax number, then submit.\n\nThe new invoice is sent within 1–3 working days.",
        True,
    ),
    (
        "billing",
        PUBLIC,
        "FIN",
        "修改开票信息（抬头、税号）",
        "在**账单 › 开票信息**中修改抬头、税号、开户行。修改只影响之后开具的发票。",
        "Change invoice details (name, tax number)",
        "Change the company name, tax number and bank in **Billing › Invoice details**. Only later invoices change.",
        True,
    ),
    (
        "billing",
        PUBLIC,
        "FIN",
        "支持哪些付款方式",
        "支持对公转账、支付宝、微信支付和银行承兑汇票。月结客户请联系客户经理。",
        "Which payment methods are accepted",
        "Bank transfer, Alipay, WeChat Pay and bank acceptance bills. Monthly-billing customers: ask your account manager.",
        True,
    ),
    (
        "billing",
        PUBLIC,
        "FIN",
        "对公转账多久到账",
        "工作日 16:00 前的转账通常当天到账；节假日顺延。转账备注请填写客户编号。",
        "How long a bank transfer takes",
        "Transfers before 16:00 on a working day usually arrive the same day; holidays delay them. Put your customer number in the transfer note.",
        True,
    ),
    (
        "account",
        PUBLIC,
        "SUPPORT",
        "忘记密码怎么办",
        "在登录页点击“忘记密码”，输入注册邮箱，按邮件中的链接设置新密码。链接 24 小时内有效。",
        "I forgot my password",
        "Click *Forgot password* on the sign-in page, enter your email and follow the link we send. The link is valid for 24 hours.",
        True,
    ),
    (
        "account",
        PUBLIC,
        "SUPPORT",
        "开启双重验证",
        "在**个人资料 › 安全**中开启双重验证，用验证器 App 扫描二维码。请妥善保存恢复码。",
        "Turn on two-factor authentication",
        "Turn it on in **Profile › Security** and scan the QR code with an authenticator app. Keep the recovery codes safe.",
        True,
    ),
    (
        "account",
        PUBLIC,
        "SUPPORT",
        "添加子账号并分配权限",
        "主账号可以在**账号 › 成员**中邀请同事，并按角色分配只读、运维或财务权限。",
        "Add team members and give them roles",
        "The main account invites colleagues in **Account › Members** and gives each a read-only, operations or finance role.",
        False,
    ),
    (
        "account",
        PUBLIC,
        "SUPPORT",
        "账号被锁定",
        "连续 5 次输错密码后账号锁定 30 分钟。急需解锁请提交工单并注明账号。",
        "My account is locked",
        "Five wrong passwords in a row lock the account for 30 minutes. If it is urgent, submit a request naming the account.",
        True,
    ),
    (
        "network",
        PUBLIC,
        "SUPPORT",
        "VPN 无法连接",
        "请依次检查：\n\n- 客户端是否为最新版本；\n- 本地网络能否访问 `vpn.example.com`；\n- 证书是否过期。\n\n仍无法连接请附上客户端日志提交工单。",
        "VPN will not connect",
        "Check in turn:\n\n- the client is the latest version;\n- your network reaches `vpn.example.com`;\n- the certificate has not expired.\n\nStill stuck? Submit a request with the client log attached.",
        True,
    ),
    (
        "network",
        PUBLIC,
        "SUPPORT",
        "带宽测速方法",
        "使用 `iperf3 -c speed.example.com` 测试，测试时请暂停其他下载。",
        "How to measure bandwidth",
        "Run `iperf3 -c speed.example.com` and pause other downloads while testing.",
        True,
    ),
    (
        "network",
        PUBLIC,
        "SUPPORT",
        "域名解析异常（DNS）",
        "修改解析记录后最长需要 TTL 时长生效。可用 `dig 域名` 检查当前解析结果。",
        "Domain does not resolve (DNS)",
        "A changed record takes up to its TTL to apply. Check the current answer with `dig <domain>`.",
        True,
    ),
    (
        "servers",
        PUBLIC,
        "SUPPORT",
        "如何重启云主机",
        "在控制台选择实例，点击“重启”。强制重启可能丢失未写入磁盘的数据。",
        "How to restart a cloud server",
        "Select the instance in the console and click *Restart*. A forced restart may lose data not yet on disk.",
        True,
    ),
    (
        "servers",
        PUBLIC,
        "SUPPORT",
        "云硬盘扩容",
        "扩容后需要在系统内扩展分区：Linux 使用 `growpart` 和 `resize2fs`。扩容不可缩回。",
        "Grow a cloud disk",
        "After growing the disk, extend the partition inside the system: `growpart` and `resize2fs` on Linux. Growing cannot be undone.",
        True,
    ),
    (
        "servers",
        PUBLIC,
        "SUPPORT",
        "创建快照备份",
        "快照按容量计费，建议在变更前创建。保留期默认 30 天。",
        "Create a snapshot backup",
        "Snapshots are billed by size; take one before a change. They are kept 30 days by default.",
        True,
    ),
    (
        "service",
        PUBLIC,
        "SUPPORT",
        "如何提交工单",
        "在客户门户点击“提交请求”，写清现象、时间和影响范围，可上传截图。提交后立即得到工单号和首次响应时限。",
        "How to submit a request",
        "In the portal click *Submit a request*; describe what happens, since when and who is affected; attach screenshots. You get a reference number and the first-response time at once.",
        True,
    ),
    (
        "service",
        PUBLIC,
        "SUPPORT",
        "服务时间与节假日安排",
        "工作日 9:00–18:00 提供服务；法定节假日按国家安排顺延，调休工作日正常服务。紧急故障 7×24 小时响应。",
        "Service hours and public holidays",
        "We serve on working days 09:00–18:00; public holidays follow the official calendar and make-up working days are served. Urgent outages: 24/7.",
        True,
    ),
    (
        "service",
        PUBLIC,
        "SUPPORT",
        "工单优先级说明",
        "优先级由**影响范围**和**紧急程度**共同决定，决定首次响应和解决时限。",
        "How ticket priority is decided",
        "Priority comes from **impact** and **urgency** together and sets the first-response and resolution times.",
        True,
    ),
    (
        "service",
        PUBLIC,
        "SUPPORT",
        "满意度回访",
        "工单解决后您会收到满意度邮件。评分 2 分及以下时，客户经理会在两个工作日内回访。",
        "Satisfaction follow-up",
        "After a ticket is resolved you get a short survey. A score of 2 or lower brings a call from your account manager within two working days.",
        True,
    ),
    (
        "internal",
        INTERNAL,
        "AFTERSALES",
        "重大故障升级流程",
        "1. 值班坐席判断影响范围；\n2. 超过 10 家客户受影响即宣布**重大故障**；\n3. 通知售后负责人和研发值班；\n4. 每 30 分钟向受影响客户同步进展。",
        "Major incident escalation",
        "1. The agent on duty judges the impact;\n2. more than 10 customers affected: declare a **major incident**;\n3. call the after-sales lead and R&D on call;\n4. update affected customers every 30 minutes.",
        True,
    ),
    (
        "internal",
        INTERNAL,
        "FIN",
        "退款审批流程",
        "退款金额 5,000 元以下由客服主管审批，以上需财务经理审批。退款原因必须写入工单。",
        "Refund approval",
        "Refunds under CNY 5,000 are approved by the service supervisor, larger ones by the finance manager. The reason goes into the ticket.",
        True,
    ),
    (
        "internal",
        INTERNAL,
        "AFTERSALES",
        "大客户重保值守安排",
        "重保期间安排双人值守，提前一天检查监控告警并与客户技术负责人确认联系方式。",
        "Major-event assurance for key accounts",
        "During assurance two people are on duty; check monitoring alerts the day before and confirm contacts with the customer's technical lead.",
        False,
    ),
    (
        "internal",
        INTERNAL,
        "SUPPORT",
        "工单转派规范",
        "转派前先在内部备注写明已做的排查；对方部门有异议可发起争议，由售后负责人裁决。",
        "Transferring tickets",
        "Before transferring, write what you checked in an internal note; the receiving department may dispute, and the after-sales lead decides.",
        True,
    ),
]


def _categories() -> dict[str, KbCategory]:
    found: dict[str, KbCategory] = {}
    for key, (name, name_en, parent_key, position) in CATEGORIES.items():
        parent = found[parent_key] if parent_key else None
        category = KbCategory.objects.filter(name=name, parent=parent).first()
        if category is None:
            category = services.category_create(
                name=name, name_en=name_en, parent=parent, position=position
            )
        found[key] = category
    return found


@transaction.atomic
def build_kb_demo() -> int:
    """Create or refresh the knowledge-base demo; returns the number of articles."""
    author = User.objects.filter(username="agent").first()
    departments = {d.code: d for d in Department.objects.all()}
    categories = _categories()
    existing = {
        t.title: t.article
        for t in ArticleTranslation.objects.filter(language="zh-hans").select_related("article")
    }
    refreshed: list[int] = []
    articles: list[Article] = []
    for key, visibility, code, zh_title, zh_body, en_title, en_body, en_live in ARTICLES:
        article = existing.get(zh_title)
        if article is None:
            article = services.article_create(
                by=author,
                category=categories[key],
                department=departments.get(code),
                visibility=visibility,
                language="zh-hans",
                title=zh_title,
                body=zh_body,
                status=Status.PUBLISHED,
            )
        else:
            Article.objects.filter(pk=article.pk).update(
                category=categories[key], visibility=visibility
            )
            ArticleTranslation.objects.filter(article=article, language="zh-hans").update(
                body=zh_body, status=Status.PUBLISHED
            )
        en_status = Status.PUBLISHED if en_live else Status.DRAFT
        english = ArticleTranslation.objects.filter(article=article, language="en").first()
        if english is None:
            services.translation_save(
                article,
                language="en",
                by=author,
                version=None,
                title=en_title,
                body=en_body,
                status=en_status,
            )
        else:
            ArticleTranslation.objects.filter(pk=english.pk).update(
                title=en_title, body=en_body, status=en_status
            )
        refreshed.extend(article.translations.values_list("pk", flat=True))
        articles.append(article)
    index_translations(refreshed)
    _votes_and_visits(articles)
    return len(articles)


def _votes_and_visits(articles: list[Article]) -> None:
    users = list(User.objects.filter(username__in=["customer", "agent", "lead", "employee"]))
    for index, article in enumerate(articles[:12]):
        for offset, user in enumerate(users):
            ArticleVote.objects.update_or_create(
                article=article, user=user, defaults={"helpful": (index + offset) % 4 != 0}
            )
    customer = next((u for u in users if u.username == "customer"), None)
    if customer is None:
        return
    now = timezone.now()
    # Two visits of the portal's request form that ended without a request (deflected).
    for n, article in enumerate(articles[:2]):
        token = uuid.uuid5(uuid.NAMESPACE_URL, f"kehu-demo-kb-visit-{n}")
        opened = now - timedelta(days=n + 1)
        visit, _created = SuggestionVisit.objects.update_or_create(
            token=token,
            defaults={"user": customer, "first_opened_at": opened, "last_opened_at": opened},
        )
        SuggestionOpen.objects.get_or_create(
            visit=visit, article=article, defaults={"opened_at": opened}
        )
