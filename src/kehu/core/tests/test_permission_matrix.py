"""Every route, every persona: a route without a permission check makes this fail.

ROUTES lists each URL pattern of the product with who may open it. A new route that is not
listed fails ``test_every_route_is_listed``; a listed route that lets a persona in who should
be kept out fails the matrix.
"""

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from kehu.conftest import EmployeeFactory, ServiceFactory, client_for
from kehu.org.models import InterfaceAssignment, InternalRelation, KeyRole, RelationType, Team

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed_in"  # any signed-in user (their own profile)
STAFF = "staff"  # every role but the customer portal user
ADMIN = "admin"
# Levels may also name the personas exactly.
KEEPERS = frozenset({"after_sales", "account_manager"})  # keep customer records
# desk staff: every ticket
DESK = frozenset({"agent", "auditor", "lead", "admin"}) | KEEPERS
ANY_ROLE = frozenset({"customer_a", "employee", "agent", "auditor", "lead", "admin"}) | KEEPERS
POST_ONLY = "post_only"  # actions: GET is refused for everyone (their tests post)
NOBODY: frozenset[str] = frozenset()
RESPONDERS = frozenset({"agent", "lead", "admin", "after_sales"})  # major incidents

# route name -> (who may GET it, url kwargs builder)
ROUTES: dict[str, tuple[str | frozenset[str], str]] = {
    "dashboard": (SIGNED_IN, ""),
    "set-language": (PUBLIC, ""),
    "health": (PUBLIC, ""),
    # For Prometheus (a bearer token or an allowed network, see kehu/ops/tests), never a persona.
    "metrics": (NOBODY, ""),
    "login": (PUBLIC, ""),
    "logout": (PUBLIC, ""),
    "access:profile": (SIGNED_IN, ""),
    "access:token-create": (STAFF, ""),
    "access:token-revoke": (STAFF, "token"),
    "access:password_change": (SIGNED_IN, ""),
    "access:password_reset": (PUBLIC, ""),
    "access:password_reset_done": (PUBLIC, ""),
    "access:password_reset_confirm": (PUBLIC, "reset"),
    "access:password_reset_complete": (PUBLIC, ""),
    "access:users": (ADMIN, ""),
    "access:user-roles": (ADMIN, "user"),
    "org:departments-list": (STAFF, ""),
    "org:import": (ADMIN, ""),
    "org:export": (STAFF, "export"),
    "desk:calendar-list": (STAFF, ""),
    "desk:calendar-detail": (STAFF, "calendar"),
    "desk:calendar-create": (ADMIN, ""),
    "desk:calendar-edit": (ADMIN, "calendar"),
    "desk:calendar-delete": (ADMIN, "calendar"),
    "desk:priority-matrix": (STAFF, ""),
    "desk:ticket-search": (ANY_ROLE, ""),
    "desk:sla-policy-list": (STAFF, ""),
    "desk:sla-policy-detail": (STAFF, "policy"),
    "desk:sla-policy-create": (ADMIN, ""),
    "desk:sla-policy-edit": (ADMIN, "policy"),
    "desk:sla-policy-delete": (ADMIN, "policy"),
    # The ticket in these routes belongs to customer B's account: customer A must never get in.
    "desk:ticket-list": (STAFF, ""),
    "desk:ticket-create": (frozenset({"employee", "agent", "lead", "admin"}) | KEEPERS, ""),
    "desk:ticket-detail": (DESK, "ticket"),
    "desk:attachment": (DESK, "attachment"),
    "desk:lead-dashboard": (STAFF, ""),
    "desk:department-setup": (frozenset({"lead", "admin"}), "support_department"),
    "portal:ticket-list": (ANY_ROLE, ""),
    "portal:ticket-create": (frozenset({"customer_a"}), ""),
    "portal:ticket-detail": (DESK, "ticket"),
    "portal:internal-request": (frozenset({"employee"}), "services"),
    "survey:form": (PUBLIC, "survey"),
    "feedback:ratings": (STAFF, ""),
    "feedback:callbacks": (STAFF, ""),
    "feedback:callback-detail": (DESK, "callback"),
    "feedback:complaint": (DESK, "complaint"),
    "feedback:account-complaints": (STAFF, "account"),
    "notify:inbox": (SIGNED_IN, ""),
    "notify:preferences": (SIGNED_IN, ""),
    "notify:read-all": (SIGNED_IN, ""),  # POST only: 405 to a GET from anyone signed in
    # The admin's own notification: only its recipient opens it (the rest get 404).
    "notify:open": (ADMIN, "notification"),
    "notify:read": (ADMIN, "notification"),
    "notify:webhook-list": (ADMIN, ""),
    "notify:webhook-create": (ADMIN, ""),
    "notify:webhook-detail": (ADMIN, "webhook"),
    "notify:webhook-edit": (ADMIN, "webhook"),
    "notify:webhook-delete": (ADMIN, "webhook"),
    "notify:webhook-test": (ADMIN, "webhook"),
    "notify:delivery-redeliver": (ADMIN, "delivery"),
}
for name in (
    "desk:ticket-bulk",
    "desk:ticket-update",
    "desk:ticket-reply",
    "desk:ticket-transfer",
    "desk:ticket-link",
    "desk:ticket-merge",
    "desk:ticket-watch",
    "desk:transfer-dispute",
    "desk:saved-view-create",
    "desk:saved-view-delete",
    "desk:category-add",
    "desk:category-toggle",
    "desk:field-add",
    "desk:field-delete",
    "portal:ticket-reply",
    "portal:ticket-close",
):
    ROUTES[name] = (
        POST_ONLY,
        "" if name in ("desk:ticket-bulk", "desk:saved-view-create") else "ticket",
    )
for slug in (
    "departments",
    "employees",
    "teams",
    "key-roles",
    "services",
    "relations",
    "interfaces",
):
    if slug != "departments":
        ROUTES[f"org:{slug}-list"] = (STAFF, "")
    ROUTES[f"org:{slug}-detail"] = (STAFF, slug)
    ROUTES[f"org:{slug}-create"] = (ADMIN, "")
    ROUTES[f"org:{slug}-edit"] = (ADMIN, slug)
    ROUTES[f"org:{slug}-delete"] = (ADMIN, slug)
ROUTES["mail:mailbox-list"] = (ADMIN, "")
ROUTES["mail:mailbox-create"] = (ADMIN, "")
ROUTES["mail:mailbox-detail"] = (ADMIN, "mailbox")
ROUTES["mail:mailbox-edit"] = (ADMIN, "mailbox")
ROUTES["mail:mailbox-poll"] = (POST_ONLY, "mailbox")
ROUTES["mail:received-list"] = (DESK, "")
ROUTES["mail:received-detail"] = (DESK, "received")
ROUTES["mail:received-release"] = (POST_ONLY, "received")
ROUTES["mail:received-discard"] = (POST_ONLY, "received")
ROUTES["compass:index"] = (DESK, "")
ROUTES["compass:ticket"] = (DESK, "ticket")
ROUTES["compass:tag"] = (DESK, "tag")
ROUTES["incidents:list"] = (STAFF, "")
ROUTES["incidents:declare"] = (RESPONDERS, "")
ROUTES["incidents:detail"] = (STAFF, "incident")
ROUTES["incidents:account"] = (STAFF, "account")
for name in ("edit", "status", "link", "unlink", "timeline-add", "notify", "review"):
    ROUTES[f"incidents:{name}"] = (RESPONDERS, "incident")  # actions are POST-only: GET → 405
# Handover: admins, after-sales and leads of the previous owner's department (the matrix's
# handover is from a finance employee, outside the after-sales lead's departments).
HANDOVER_MANAGERS = frozenset({"admin", "after_sales"})
ROUTES["handover:list"] = (STAFF, "")
ROUTES["handover:start"] = (HANDOVER_MANAGERS | {"lead"}, "")
ROUTES["handover:detail"] = (HANDOVER_MANAGERS, "handover")
ROUTES["handover:item-edit"] = (HANDOVER_MANAGERS, "handover_item")
# Segments: staff see the overview; admins keep the rules; keepers override (POST only).
ROUTES["segments:overview"] = (STAFF, "")
ROUTES["segments:rule-list"] = (ADMIN, "")
ROUTES["segments:rule-create"] = (ADMIN, "")
ROUTES["segments:rule-edit"] = (ADMIN, "segment_rule")
ROUTES["segments:recompute"] = (POST_ONLY, "")
ROUTES["segments:override"] = (POST_ONLY, "account")
ROUTES["segments:withdraw"] = (POST_ONLY, "account")
# The dossier: its account has no owner or team, so of these personas only admin and
# after-sales edit it and the auditor reads it; everyone else gets 404 (403 to readers' edits).
DOSSIER_READERS = frozenset({"admin", "after_sales", "auditor"})
DOSSIER_EDITORS = frozenset({"admin", "after_sales"})
ROUTES["dossier:visits"] = (DOSSIER_READERS, "")
ROUTES["dossier:import"] = (DOSSIER_EDITORS, "")
ROUTES["dossier:export"] = (DOSSIER_READERS, "dossier_format")
ROUTES["dossier:account"] = (DOSSIER_READERS, "dossier_account")
ROUTES["dossier:entry-create"] = (DOSSIER_EDITORS, "dossier_account")
ROUTES["dossier:visit-create"] = (DOSSIER_EDITORS, "dossier_account")
for name in ("entry-detail", "entry-history", "entry-diff"):
    ROUTES[f"dossier:{name}"] = (DOSSIER_READERS, "dossier_entry")
ROUTES["dossier:entry-edit"] = (DOSSIER_EDITORS, "dossier_entry")
ROUTES["dossier:entry-delete"] = (POST_ONLY, "dossier_entry")
ROUTES["dossier:attachment-upload"] = (POST_ONLY, "dossier_entry")
ROUTES["dossier:attachment"] = (DOSSIER_READERS, "dossier_attachment")
ROUTES["dossier:visit-detail"] = (DOSSIER_READERS, "dossier_visit")
ROUTES["dossier:visit-edit"] = (DOSSIER_EDITORS, "dossier_visit")
ROUTES["dossier:visit-done"] = (DOSSIER_EDITORS, "dossier_visit")
ROUTES["dossier:visit-delete"] = (POST_ONLY, "dossier_visit")
ROUTES["dossier:follow-up-add"] = (POST_ONLY, "dossier_visit")
ROUTES["dossier:follow-up-done"] = (POST_ONLY, "dossier_follow_up")
# Churn reviews: dossier readers and editors as above; the list is staff's (showing only the
# dossiers they read); the report is for broad dossier readers and department leads.
ROUTES["churn:list"] = (STAFF, "")
ROUTES["churn:report"] = (DOSSIER_READERS | {"lead"}, "")
ROUTES["churn:report-export"] = (DOSSIER_READERS | {"lead"}, "")
ROUTES["churn:open"] = (DOSSIER_EDITORS, "account")
ROUTES["churn:detail"] = (DOSSIER_READERS, "churn_review")
ROUTES["churn:edit"] = (DOSSIER_EDITORS, "churn_review")
for name in ("attribute", "transition", "follow-up-add"):
    ROUTES[f"churn:{name}"] = (DOSSIER_EDITORS, "churn_review")  # POST-only: GET → 405
ROUTES["churn:follow-up-done"] = (DOSSIER_EDITORS, "churn_follow_up")  # POST-only: GET → 405
# Accounts and contacts: staff read, keepers (and admins) change; portal users get 404.
ACCOUNT_KEEPERS = KEEPERS | {"admin"}
ROUTES["customers:account-list"] = (STAFF, "")
ROUTES["customers:account-create"] = (ACCOUNT_KEEPERS, "")
ROUTES["customers:account-import"] = (ACCOUNT_KEEPERS, "")
ROUTES["customers:account-export"] = (STAFF, "")
ROUTES["customers:account-detail"] = (STAFF, "account")
ROUTES["customers:account-timeline"] = (STAFF, "account")
ROUTES["customers:account-edit"] = (ACCOUNT_KEEPERS, "account")
ROUTES["customers:account-merge"] = (ACCOUNT_KEEPERS, "account")
ROUTES["customers:team-add"] = (ACCOUNT_KEEPERS, "account")  # POST-only: GET → 405
ROUTES["customers:team-remove"] = (ACCOUNT_KEEPERS, "account")  # POST-only: GET → 405
ROUTES["customers:contact-create"] = (ACCOUNT_KEEPERS, "account")
ROUTES["customers:contact-edit"] = (ACCOUNT_KEEPERS, "contact")
ROUTES["customers:contact-import"] = (ACCOUNT_KEEPERS, "")
ROUTES["customers:contact-export"] = (STAFF, "")
ROUTES["customers:custom-field-list"] = (ADMIN, "")
ROUTES["customers:custom-field-create"] = (ADMIN, "")
ROUTES["customers:custom-field-edit"] = (ADMIN, "custom_field")
# Usage: dossier readers see an account's usage, editors acknowledge its alerts (GET → 405);
# keepers and admins import; the alert list is staff's (showing only readable accounts);
# products and swing rules are for admins.
ROUTES["usage:account"] = (DOSSIER_READERS, "account")
ROUTES["usage:account-export"] = (DOSSIER_READERS, "account")
ROUTES["usage:import"] = (ACCOUNT_KEEPERS, "")
ROUTES["usage:alerts"] = (STAFF, "")
ROUTES["usage:alert-acknowledge"] = (DOSSIER_EDITORS, "swing_alert")
ROUTES["usage:products"] = (ADMIN, "")
ROUTES["usage:product-create"] = (ADMIN, "")
ROUTES["usage:product-edit"] = (ADMIN, "usage_product")
ROUTES["usage:rules"] = (ADMIN, "")
ROUTES["usage:rule-create"] = (ADMIN, "")
ROUTES["usage:rule-edit"] = (ADMIN, "swing_rule")
# Relationship maps are personal data (SPEC §4): the account has no owner or team, so of these
# personas only after-sales and admins see and change it; auditors and other staff get 404.
RELATIONS = frozenset({"admin", "after_sales"})
ROUTES["relations:account"] = (RELATIONS, "relations_account")
ROUTES["relations:person-add"] = (RELATIONS, "relations_account")
ROUTES["relations:level"] = (RELATIONS, "relations_account")
ROUTES["relations:interaction-add"] = (RELATIONS, "relations_account")
ROUTES["relations:person-edit"] = (RELATIONS, "relations_person")
ROUTES["relations:stage"] = (RELATIONS, "relations_person")  # POST-only: GET → 405
ROUTES["relations:role-set"] = (RELATIONS, "relations_person")  # POST-only: GET → 405
ROUTES["relations:reports-to"] = (RELATIONS, "relations_person")  # POST-only: GET → 405
ROUTES["relations:person-erase"] = (RELATIONS, "relations_person")  # POST-only: GET → 405
ROUTES["relations:person-export"] = (RELATIONS, "relations_person_export")
ROUTES["relations:import"] = (RELATIONS, "relations_account")
ROUTES["relations:export"] = (RELATIONS, "relations_account")
ROUTES["relations:team"] = (RELATIONS, "relations_account")
ROUTES["relations:team-edit"] = (RELATIONS, "relations_account")
# Calling for fire is the triangle's (the matrix account has none) and administrators'; every
# staff member sees their own calls on the list (leads, after-sales and admins also the speed).
ROUTES["relations:fire-create"] = (frozenset({"admin"}), "relations_account")
ROUTES["relations:fire-list"] = (STAFF, "")
ROUTES["relations:coverage"] = (STAFF, "")  # each sees the key accounts whose map they may see
# Knowledge base: staff read every article; agents, leads, after-sales and admins write; the
# help centre is for anyone with a role and shows public, published articles only.
KB_EDITORS = frozenset({"agent", "lead", "admin", "after_sales"})
ROUTES["kb:list"] = (STAFF, "")
ROUTES["kb:export"] = (STAFF, "")
ROUTES["kb:article-create"] = (KB_EDITORS, "")
ROUTES["kb:article-detail"] = (STAFF, "kb_article")
ROUTES["kb:article-edit"] = (KB_EDITORS, "kb_article")
ROUTES["kb:article-delete"] = (POST_ONLY, "kb_article")
ROUTES["kb:translation-edit"] = (KB_EDITORS, "kb_translation_edit")
ROUTES["kb:history"] = (STAFF, "kb_translation")
ROUTES["kb:diff"] = (STAFF, "kb_translation")
ROUTES["kb:categories"] = (STAFF, "")
ROUTES["kb:category-create"] = (KB_EDITORS, "")
ROUTES["kb:category-edit"] = (KB_EDITORS, "kb_category")
ROUTES["kb:reply-search"] = (STAFF, "")
ROUTES["help:index"] = (ANY_ROLE, "")
ROUTES["help:article"] = (ANY_ROLE, "kb_article")
ROUTES["help:vote"] = (POST_ONLY, "kb_article")
ROUTES["help:suggest"] = (ANY_ROLE, "")
# The pipeline (SPEC §5): staff open its pages (each shows only the deals they may see); sales
# roles (account managers, department leads) and auditors read every deal; account managers
# and the people on a deal change it; sales roles open deals and leads. Nobody of the personas
# is on the matrix's opportunity or owns its lead.
PIPELINE_READERS = frozenset({"admin", "auditor", "lead", "account_manager"})
PIPELINE_OPENERS = frozenset({"admin", "lead", "account_manager"})
for name in ("board", "list", "leads", "forecast", "conversion"):
    ROUTES[f"pipeline:{name}"] = (STAFF, "")
ROUTES["pipeline:export"] = (STAFF, "pipeline_export_format")
ROUTES["pipeline:opportunity-create"] = (PIPELINE_OPENERS, "")
ROUTES["pipeline:import"] = (PIPELINE_OPENERS, "")
ROUTES["pipeline:lead-create"] = (PIPELINE_OPENERS, "")
ROUTES["pipeline:opportunity"] = (PIPELINE_READERS, "pipeline_opportunity")
ROUTES["pipeline:opportunity-edit"] = (
    frozenset({"admin", "account_manager"}),
    "pipeline_opportunity",
)
ROUTES["pipeline:lead"] = (PIPELINE_READERS, "pipeline_lead")
for name in ("move", "role-set", "competitor-add"):
    ROUTES[f"pipeline:{name}"] = (POST_ONLY, "pipeline_opportunity")
ROUTES["pipeline:competitor-remove"] = (POST_ONLY, "pipeline_competitor")
ROUTES["pipeline:lead-convert"] = (POST_ONLY, "pipeline_lead")
# Contracts carry internal economics: the matrix contract is the administrator's, so of these
# personas only admins and auditors (who read every contract) see it; only admins change it.
# Account managers (sales) may draft contracts; customers never see any of it.
CONTRACT_READERS = frozenset({"admin", "auditor"})
ROUTES["contracts:list"] = (STAFF, "")
ROUTES["contracts:create"] = (frozenset({"admin", "account_manager"}), "")
ROUTES["contracts:inbox"] = (STAFF, "")
ROUTES["contracts:detail"] = (CONTRACT_READERS, "contract")
ROUTES["contracts:edit"] = (ADMIN, "contract")
ROUTES["contracts:docx"] = (CONTRACT_READERS, "contract")
ROUTES["contracts:pdf"] = (CONTRACT_READERS, "contract")
ROUTES["contracts:upload"] = (CONTRACT_READERS, "contract")
ROUTES["contracts:compare"] = (CONTRACT_READERS, "contract")
ROUTES["contracts:change-create"] = (ADMIN, "contract")
ROUTES["contracts:change-detail"] = (CONTRACT_READERS, "change_order")
for name in (
    "contracts:transition",
    "contracts:submit",
    "contracts:decide",
    "contracts:change-submit",
):
    ROUTES[name] = (POST_ONLY, "change_order" if name == "contracts:change-submit" else "contract")
# Insight: the matrix's report is the company's (leads, after-sales, administrators, auditors);
# customers open only their own account's customer edition (tested in insight's own tests).
COMPANY_READERS = frozenset({"lead", "after_sales", "admin", "auditor"})
ROUTES["insight:index"] = (ANY_ROLE, "")
ROUTES["insight:reports"] = (ANY_ROLE, "")
ROUTES["insight:subscriptions"] = (ANY_ROLE, "")
ROUTES["insight:subscription-delete"] = (POST_ONLY, "insight_subscription")
for name in ("report-detail", "report-pdf", "report-xlsx"):
    ROUTES[f"insight:{name}"] = (COMPANY_READERS, "insight_report")
ROUTES["insight:report-rows"] = (COMPANY_READERS, "insight_rows")
ROUTES["insight:scorecards"] = (STAFF, "")
ROUTES["insight:matrix"] = (frozenset({"lead", "admin", "auditor"}), "")
ROUTES["insight:health"] = (STAFF, "")
ROUTES["insight:health-account"] = (DOSSIER_READERS, "account")
ROUTES["insight:health-settings"] = (ADMIN, "")


def _named_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "api":
                continue  # the API has its own matrix below
            yield from _named_routes(entry, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name}" if entry.name else repr(entry.pattern)


def test_every_route_is_listed():
    unlisted = sorted(set(_named_routes()) - set(ROUTES))
    assert unlisted == [], f"routes without a permission expectation: {unlisted}"


@pytest.fixture
def objects(world):
    employee = EmployeeFactory(department=world.finance)
    team = Team.objects.create(department=world.finance, name="一组")
    from kehu.customers.models import Account, CustomField
    from kehu.desk.models import BusinessCalendar, SlaPolicy
    from kehu.feedback.tests.factories import feedback_objects
    from kehu.handover.tests.factories import matrix_objects as handover_matrix_objects
    from kehu.incidents.models import MajorIncident
    from kehu.segments.models import SegmentRule
    from kehu.usage.tests.factories import usage_matrix_objects

    calendar = BusinessCalendar.objects.create(name="工作日历", time_zone="Asia/Shanghai")
    from kehu.desk.models import Attachment
    from kehu.desk.tests import factories

    EmployeeFactory(department=world.finance, user=world.employee)
    own = factories.contact("甲公司")
    own.user = world.customer_a
    own.save()
    other = factories.contact("乙公司")
    other.user = world.customer_b
    other.save()
    ticket = factories.ticket(world.support, contact_=other)
    message = ticket.messages.get()
    attachment = Attachment(
        ticket=ticket,
        message=message,
        filename="y.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
    )
    attachment.file.save("y.txt", ContentFile(b"y"))
    from kehu.notify.models import Notification, Webhook, WebhookDelivery

    webhook = Webhook.objects.create(
        name="CRM", url="https://crm.example/", secret="s", events=["ping"]
    )
    from kehu.mail import ingest
    from kehu.mail.models import Mailbox
    from kehu.mail.tests.conftest import build_mail

    mailbox = Mailbox.objects.create(department=world.support, address="support@kehu.example")
    received = ingest.ingest(build_mail(sender="someone@else.example"), mailbox)
    from kehu.churn.tests.factories import churn_objects
    from kehu.contracts.tests.factories import matrix_objects as contracts_objects
    from kehu.dossier.tests.factories import dossier_objects
    from kehu.insight.tests.factories import matrix_objects as insight_objects
    from kehu.kb.tests.factories import matrix_objects as kb_objects
    from kehu.pipeline.tests.factories import matrix_objects as pipeline_objects
    from kehu.relations.tests.factories import matrix_objects as relations_objects

    return (
        feedback_objects(world)
        | dossier_objects(world)
        | {
            "mailbox": mailbox.pk,
            "received": received.pk,
            "ticket": ticket.pk,
            "attachment": attachment.pk,
            "support_department": world.support.pk,
            "notification": Notification.objects.create(
                recipient=world.admin, event="sla.warning", title="t"
            ).pk,
            "webhook": webhook.pk,
            "delivery": WebhookDelivery.objects.create(
                webhook=webhook, event="ping", payload={}
            ).pk,
            "calendar": calendar.pk,
            "policy": SlaPolicy.objects.create(name="标准", calendar=calendar).pk,
            "incident": MajorIncident.objects.create(title="机房断电").pk,
            "account": Account.objects.create(name="甲公司").pk,
            **handover_matrix_objects(world),
            **usage_matrix_objects(),
            **churn_objects(world),
            **relations_objects(world),
            **kb_objects(world),
            **pipeline_objects(world),
            "pipeline_export_format": "xlsx",
            **contracts_objects(world),
            **insight_objects(world),
            "segment_rule": SegmentRule.objects.create(name="规则", segment="loyal").pk,
            "contact": factories.contact("丙公司").pk,
            "custom_field": CustomField.objects.create(code="contract_no", label="合同编号").pk,
            "tag": ticket.tags.create(name="账单导出").name,
            "departments": world.finance.pk,
            "employees": employee.pk,
            "teams": team.pk,
            "key-roles": KeyRole.objects.create(
                department=world.finance, name="值班", primary=employee
            ).pk,
            "services": ServiceFactory(department=world.finance).pk,
            "relations": InternalRelation.objects.create(
                supplier_department=world.finance,
                customer_department=world.support,
                relation_type=RelationType.FUNCTIONAL,
            ).pk,
            "interfaces": InterfaceAssignment.objects.create(
                requesting_department=world.support,
                supplier_department=world.finance,
                person=employee,
            ).pk,
        }
    )


def _url(name: str, kind: str, world, objects) -> str:
    from django.urls import reverse

    if kind == "":
        return reverse(name)
    if kind == "token":
        return reverse(name, args=[1])
    if kind == "reset":
        return reverse(name, kwargs={"uidb64": "MQ", "token": "set-password"})
    if kind == "user":
        return reverse(name, args=[world.admin.pk])
    if kind == "insight_rows":
        return reverse(name, args=[objects["insight_report"], "volume_type"])
    if kind == "export":
        return reverse(name, kwargs={"kind": "employees", "fmt": "csv"})
    if kind == "kb_translation_edit":
        return reverse(name, args=[objects["kb_article"], "en"])
    if kind == "relations_person_export":
        return reverse(name, kwargs={"pk": objects["relations_person"], "fmt": "json"})
    return reverse(name, args=[objects[kind]])


LEAD_MAY_ADD = {
    f"org:{slug}-create" for slug in ("departments", "teams", "key-roles", "services", "interfaces")
}


def _allowed(level: str | frozenset[str], persona: str, name: str = "") -> bool:
    if isinstance(level, frozenset):
        return persona in level
    if persona == "lead" and name in LEAD_MAY_ADD:
        return True  # a lead adds inside their own departments; the object check follows on save
    if level == PUBLIC:
        return True
    if persona == "anonymous":
        return False
    if level == SIGNED_IN:
        return True
    if level == STAFF:
        return persona not in ("customer_a", "outsider")
    return persona == "admin"


PERSONAS = [
    "anonymous",
    "customer_a",
    "outsider",
    "employee",
    "agent",
    "auditor",
    "lead",
    "admin",
    "after_sales",
    "account_manager",
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_exactly_what_its_role_allows(world, objects, persona):
    client = client_for(None if persona == "anonymous" else getattr(world, persona))
    wrong = []
    for name, (level, kind) in ROUTES.items():
        if name in ("logout", "set-language", "access:token-create", "access:token-revoke"):
            continue  # POST-only actions, covered by their own tests
        if level == POST_ONLY:
            status = client.get(_url(name, kind, world, objects)).status_code
            if status not in ((302,) if persona == "anonymous" else (405,)):
                wrong.append((name, status))
            continue
        url = _url(name, kind, world, objects)
        status = client.get(url).status_code
        kept_out = (
            status in (302, 403, 404, 405) if persona == "anonymous" else status in (403, 404)
        )
        if name in ("dashboard",) and persona in ("customer_a", "outsider"):
            kept_out = status == 302  # sent to their tickets or profile
            if _allowed(level, persona):
                continue
        if _allowed(level, persona, name) == kept_out:
            wrong.append((name, url, status))
    assert wrong == [], "\n".join(map(str, wrong))


def test_lead_scope_edit_own_department_only(world, objects):
    client = client_for(world.lead)
    assert client.get(f"/org/departments/{world.support.pk}/edit/").status_code == 200
    assert client.get(f"/org/departments/{world.finance.pk}/edit/").status_code == 403
    assert client.get(f"/org/departments/{world.support.pk}/delete/").status_code == 403
    assert client.get(f"/org/services/{objects['services']}/edit/").status_code == 403


API_ROUTES = [
    ("get", "/api/org/departments"),
    ("get", "/api/org/employees"),
    ("get", "/api/org/teams"),
    ("get", "/api/org/key-roles"),
    ("get", "/api/org/services"),
    ("get", "/api/org/relations"),
    ("get", "/api/org/interfaces"),
    ("get", "/api/users"),
    ("get", "/api/feedback/ratings/rollup"),
    ("get", "/api/feedback/callbacks"),
    ("get", "/api/notify/webhooks"),
    ("get", "/api/incidents"),
    ("get", "/api/usage/alerts"),
    ("get", "/api/churn"),
    ("get", "/api/churn/report"),
    ("get", "/api/handover"),
    ("get", "/api/segments/rules"),
    ("post", "/api/segments/recompute"),
    ("get", "/api/dossier/entries"),
    ("get", "/api/dossier/visits"),
    ("get", "/api/customers/accounts"),
    ("get", "/api/customers/custom-fields"),
    ("get", "/api/relations/accounts/1"),
    ("get", "/api/relations/people/1"),
    ("get", "/api/relations/accounts/1/interactions"),
    ("get", "/api/relations/accounts/1/team"),
    ("get", "/api/relations/accounts/1/dashboard"),
    ("get", "/api/relations/accounts/1/fire"),
    ("get", "/api/relations/fire/speed"),
    ("get", "/api/relations/coverage"),
    ("get", "/api/kb/deflection"),
    ("get", "/api/pipeline/stages"),
    ("get", "/api/pipeline/leads"),
    ("get", "/api/pipeline/leads/1"),
    ("get", "/api/pipeline/opportunities"),
    ("get", "/api/pipeline/opportunities/1"),
    ("get", "/api/pipeline/opportunities/1/moves"),
    ("get", "/api/pipeline/forecast"),
    ("get", "/api/pipeline/conversion"),
    ("get", "/api/contracts"),
    ("get", "/api/contracts/1"),
    ("get", "/api/contracts/approvals/inbox"),
    ("get", "/api/contracts/templates"),
    ("get", "/api/contracts/clauses"),
    ("get", "/api/contracts/risk-rules"),
    ("get", "/api/contracts/verify"),
    ("get", "/api/insight/scorecards"),
    ("get", "/api/insight/scorecards/matrix"),
    ("get", "/api/insight/health"),
    ("get", "/api/insight/health/settings"),
    ("get", "/api/insight/health/accounts/1"),
    ("get", "/api/relations/people/1/export"),
    ("get", "/api/relations/accounts/1/map-rows"),
]
# Operations a customer may call, each answering only with what is theirs.
CUSTOMER_API_ROUTES = [
    ("get", "/api/desk/search?q=x"),
    ("get", "/api/kb/articles"),
    ("get", "/api/kb/categories"),
    ("get", "/api/kb/suggestions?q=x"),
    ("get", "/api/insight/reports"),
    ("get", "/api/insight/subscriptions"),
]


# Deliberately open operations (each throttled and holding its own secret in the path).
PUBLIC_API = {("post", "/api/feedback/surveys/{token}")}


def test_every_api_operation_requires_authentication():
    from kehu.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (method, path) in PUBLIC_API:
                continue
            assert operation.get("security"), (
                f"{method.upper()} {path} is open without authentication"
            )


@pytest.mark.parametrize("method,path", API_ROUTES)
def test_customer_gets_nothing_from_organisation_api(world, method, path):
    client = client_for(world.customer_a)
    assert getattr(client, method)(path).status_code in (403, 404)


@pytest.mark.parametrize("method,path", CUSTOMER_API_ROUTES)
def test_customer_api_operations_need_a_role(world, method, path):
    assert getattr(client_for(world.customer_a), method)(path).status_code == 200
    assert getattr(client_for(world.outsider), method)(path).status_code == 403


# --- auditors are read-only everywhere ----------------------------------------------------------

WRITE_ACTIONS = ("add", "change", "delete", "import")


def test_auditor_may_do_no_write_action_on_any_registered_model(world, objects):
    """Every write route authorizes through a model rule: none of them lets the auditor write,
    but for the auditor's own things (notifications, preferences, tokens, saved views)."""
    from kehu.access import permissions

    allowed = []
    for model in permissions._rules:
        targets = [model, *model._default_manager.all()[:3]]
        for target in targets:
            for action in WRITE_ACTIONS:
                if permissions.can(world.auditor, action, target):
                    allowed.append((model.__name__, action, getattr(target, "pk", None)))
    personal = {m.__name__ for m in permissions._personal}
    assert [row for row in allowed if row[0] not in personal] == []
    assert permissions.can(world.auditor, "view", world.support)


def test_auditor_write_api_calls_are_refused(world, objects):
    """The write operations an auditor can reach (the objects are ones they read) answer 403."""
    from kehu.usage.models import SwingAlert

    client = client_for(world.auditor)
    alert = SwingAlert.objects.get(pk=objects["swing_alert"])
    calls = [
        (f"/api/usage/alerts/{alert.pk}/acknowledge", {"version": alert.version, "note": "看过"}),
        (f"/api/desk/tickets/{objects['ticket']}", None),
        ("/api/segments/recompute", {}),
    ]
    for url, body in calls:
        if body is None:
            response = client.patch(
                url, {"version": 1, "subject": "改"}, content_type="application/json"
            )
        else:
            response = client.post(url, body, content_type="application/json")
        assert response.status_code == 403, (url, response.status_code, response.content)
    alert.refresh_from_db()
    assert alert.status == SwingAlert.Status.OPEN
    # ...while an after-sales engineer, who edits every dossier, acknowledges it.
    response = client_for(world.after_sales).post(
        f"/api/usage/alerts/{alert.pk}/acknowledge",
        {"version": alert.version, "note": "看过"},
        content_type="application/json",
    )
    assert response.status_code == 200
