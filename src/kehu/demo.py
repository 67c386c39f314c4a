"""The demo, put together: each app's demo called in layer order, so no app knows another's.

``kehu demo``, ``kehu up`` and the tests that want the demo call ``build_demo``. Each part is
repeatable (a second run refreshes, it does not duplicate) and builds on the parts before it:

1. the organisation and the demo users (``org.demo``);
2. the service desk: calendars, SLA policies, tickets in every state, six weeks of history
   (``desk.demo``; it makes the few accounts and contacts its tickets need);
3. the channels and feedback: satisfaction ratings of the history (``feedback.demo``), mail
   threads (``mail.demo``);
4. unless ``dossier=False``: the customer dossier — 220 accounts (``customers.demo``), two years
   of usage with its swing alerts (``usage.demo``), dossiers and visits (``dossier.demo``),
   segments, a handover in progress and churn reviews (``segments``, ``handover``, ``churn``),
   the key accounts' relationship maps, iron triangles and calls for fire (``relations.demo``),
   a year of pipeline: leads and opportunities in every stage (``pipeline.demo``), and 220
   contracts in every status with approvals, versions and change orders (``contracts.demo``);
5. the knowledge base: 22 articles in Chinese and English, votes, deflected visits (``kb.demo``);
6. insight: last month's and week's perception reports, health scores with twelve weeks of
   history, and two report subscriptions (``insight.demo``).

This module sits above every app (like ``kehu.urls`` and ``kehu.cli``); import-linter keeps the
apps from importing it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.churn.demo import build_churn_demo
from kehu.contracts.demo import CONTRACT_DEMO_USERS, build_contracts_demo
from kehu.customers.demo import build_accounts_demo
from kehu.customers.models import Account
from kehu.desk.demo import build_calendars, build_history, build_policies, build_tickets
from kehu.desk.models import Ticket
from kehu.dossier.demo import build_dossier_demo
from kehu.feedback.demo import build_feedback_demo
from kehu.handover.demo import build_handover_demo
from kehu.insight.demo import build_insight_demo
from kehu.kb.demo import build_kb_demo
from kehu.mail.demo import build_mail_demo
from kehu.org.demo import DEMO_PASSWORD, build_org_demo
from kehu.org.demo import DEMO_USERS as ORG_DEMO_USERS
from kehu.pipeline.demo import build_pipeline_demo
from kehu.relations.demo import build_relations_demo
from kehu.segments.demo import build_segments_demo
from kehu.usage.demo import build_usage_demo

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "STEPS", "build_demo"]

# Everyone the demo signs in as: the organisation's users, then the contracts demo's
# (sales, finance, legal, manager).
DEMO_USERS = [*ORG_DEMO_USERS, *CONTRACT_DEMO_USERS]

# The progress steps ``build_demo`` reports, in order (``kehu demo`` shows them as a bar).
STEPS = [
    "departments",
    "employees",
    "services",
    "relations",
    "key roles",
    "users",
    "calendars",
    "tickets",
    "accounts",
    "usage",
    "dossiers",
    "segments, handover, churn",
    "pipeline",
    "contracts",
    "knowledge base",
    "insight",
]


def build_demo(
    progress: Callable[[str], None] = lambda step: None, *, dossier: bool = True
) -> dict[str, int]:
    """Create or refresh the whole demo; returns counts of what exists afterwards.

    ``dossier=False`` leaves out the customer dossier's 220 accounts with two years of usage
    (most of the time the demo takes), for tests that need only the organisation and the desk.
    """
    with audit_context(channel=Channel.SYSTEM), transaction.atomic():
        counts = build_org_demo(progress)
        calendars = build_calendars()
        policies = build_policies()
        progress("calendars")
        build_tickets()
        build_history()
        build_feedback_demo()
        build_mail_demo()
        ticket_count = Ticket.objects.count()
        progress("tickets")
        account_count = _build_dossier_demo(progress) if dossier else 0
        articles = build_kb_demo()
        progress("knowledge base")
        build_insight_demo()
        progress("insight")
    return {
        **counts,
        "calendars": calendars,
        "sla_policies": policies,
        "tickets": ticket_count,
        "accounts": account_count,
        "kb_articles": articles,
    }


def _build_dossier_demo(progress: Callable[[str], None]) -> int:
    build_accounts_demo()
    progress("accounts")
    build_usage_demo()
    progress("usage")
    build_dossier_demo()
    progress("dossiers")
    build_segments_demo()
    build_handover_demo()
    build_churn_demo()
    build_relations_demo()
    progress("segments, handover, churn")
    build_pipeline_demo()
    progress("pipeline")
    build_contracts_demo()
    progress("contracts")
    return Account.objects.count()
