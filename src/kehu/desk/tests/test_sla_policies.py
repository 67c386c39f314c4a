import pytest

from kehu.conftest import ServiceFactory, client_for
from kehu.desk.models import BusinessCalendar, SlaPolicy
from kehu.desk.sla.selectors import sla_policy_for
from kehu.desk.sla.services import TargetSpec, sla_policy_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def calendar():
    return BusinessCalendar.objects.create(name="工作日历", time_zone="Asia/Shanghai")


def make_policy(
    calendar,
    name,
    position,
    *,
    types=(),
    departments=(),
    services=(),
    priorities=("urgent", "normal"),
    active=True,
):
    return sla_policy_save(
        policy=None,
        expected_version=None,
        fields={
            "name": name,
            "position": position,
            "calendar": calendar,
            "ticket_types": list(types),
            "is_active": active,
        },
        departments=list(departments),
        services=list(services),
        targets=[TargetSpec(p, 30, 60, 480) for p in priorities],
    )


def test_first_matching_policy_wins_and_empty_conditions_match_everything(world, calendar):
    service = ServiceFactory(department=world.finance)
    specific = make_policy(
        calendar,
        "财务发票",
        1,
        types=["service_request"],
        departments=[world.finance],
        services=[service],
    )
    incidents = make_policy(calendar, "故障", 2, types=["incident"])
    fallback = make_policy(calendar, "默认", 9)
    assert (
        sla_policy_for(
            ticket_type="service_request",
            priority="urgent",
            department_id=world.finance.pk,
            service_id=service.pk,
        )[0]
        == specific
    )
    assert (
        sla_policy_for(
            ticket_type="service_request", priority="urgent", department_id=world.support.pk
        )[0]
        == fallback
    )
    assert sla_policy_for(ticket_type="incident", priority="normal")[0] == incidents


def test_a_policy_without_a_target_for_the_priority_or_inactive_is_passed_over(calendar):
    make_policy(calendar, "只管紧急", 1, priorities=("urgent",))
    make_policy(calendar, "停用", 2, active=False)
    fallback = make_policy(calendar, "默认", 3, priorities=("low",))
    policy, target = sla_policy_for(ticket_type="question", priority="low")
    assert policy == fallback and target.priority == "low"
    assert sla_policy_for(ticket_type="question", priority="high") is None


def test_targets_must_be_consistent(calendar):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="before the first response"):
        sla_policy_save(
            policy=None,
            expected_version=None,
            fields={"name": "x", "calendar": calendar},
            departments=[],
            services=[],
            targets=[TargetSpec("urgent", 60, None, 30)],
        )
    with pytest.raises(ValidationError, match="Unknown ticket types"):
        make_policy(calendar, "y", 1, types=["nonsense"])
    assert not SlaPolicy.objects.exists()


def test_admin_edits_a_policy_on_the_web_and_history_shows_the_target_change(world, calendar):
    policy = make_policy(calendar, "标准", 1)
    client = client_for(world.admin)
    form = {
        "name": "标准",
        "position": 1,
        "is_active": "on",
        "calendar": calendar.pk,
        "warning_fraction": "0.8",
        "version": 1,
        "urgent_first": 15,
        "urgent_resolution": 240,
        "normal_first": 60,
        "normal_next": 120,
        "normal_resolution": 960,
    }
    response = client.post(f"/desk/sla-policies/{policy.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(f"/desk/sla-policies/{policy.pk}/").content.decode()
    assert "urgent: 15 / - / 240" in page
    stale = client.post(f"/desk/sla-policies/{policy.pk}/edit/", form)
    assert stale.status_code == 409


def test_the_match_tester_on_the_list_page_names_the_policy(world, calendar):
    make_policy(calendar, "故障", 1, types=["incident"])
    page = client_for(world.agent).get(
        "/desk/sla-policies/", {"ticket_type": "incident", "priority": "urgent"}
    )
    assert "故障: first response within 30" in page.content.decode()
    none = client_for(world.agent).get(
        "/desk/sla-policies/", {"ticket_type": "question", "priority": "urgent"}
    )
    assert "No policy applies" in none.content.decode()


def test_calendar_in_use_by_a_policy_cannot_be_deleted(world, calendar):
    make_policy(calendar, "标准", 1)
    response = client_for(world.admin).post(f"/desk/calendars/{calendar.pk}/delete/", follow=True)
    assert "still used by" in response.content.decode()
    assert BusinessCalendar.objects.filter(pk=calendar.pk).exists()


def test_api_creates_matches_and_versions_policies(world, calendar):
    from django.test import Client

    from kehu.access.services import api_token_create

    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.admin, name='t').secret}"}
    client = Client()
    body = {
        "name": "故障",
        "calendar_id": calendar.pk,
        "ticket_types": ["incident"],
        "department_ids": [world.support.pk],
        "targets": [
            {"priority": "urgent", "first_response_minutes": 15, "resolution_minutes": 240}
        ],
    }
    created = client.post("/api/desk/sla-policies", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    match = client.get(
        "/api/desk/sla-policies/match",
        {"ticket_type": "incident", "priority": "urgent", "department_id": world.support.pk},
        **auth,
    ).json()
    assert match["policy_id"] == pk and match["target"]["first_response_minutes"] == 15
    miss = client.get(
        "/api/desk/sla-policies/match", {"ticket_type": "incident", "priority": "urgent"}, **auth
    ).json()
    assert miss == {"policy_id": None, "target": None}
    update = {**body, "version": 1, "is_active": False}
    assert (
        client.put(
            f"/api/desk/sla-policies/{pk}", update, content_type="application/json", **auth
        ).status_code
        == 200
    )
    assert (
        client.put(
            f"/api/desk/sla-policies/{pk}", update, content_type="application/json", **auth
        ).status_code
        == 409
    )
    bad = client.post(
        "/api/desk/sla-policies",
        {**body, "calendar_id": 999999},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "calendar_id"


def test_policy_form_sets_customer_levels_categories_and_the_escalation_chain(world):
    from kehu.conftest import EmployeeFactory, client_for
    from kehu.desk.models import Category, SlaPolicy
    from kehu.desk.tests import factories as f
    from kehu.org.models import KeyRole

    calendar = f.always_calendar()
    category = Category.objects.create(department=world.support, name="账单")
    on_call = EmployeeFactory(department=world.support, employee_no="E90001")
    KeyRole.objects.create(department=world.support, name="应急负责人", primary=on_call)
    form = {
        "name": "战略客户",
        "position": 1,
        "is_active": "on",
        "calendar": calendar.pk,
        "account_levels": ["strategic"],
        "categories": [category.pk],
        "warning_fraction": "0.75",
        "urgent_first": 10,
        "urgent_resolution": 120,
        "escalation": "0 assignee\n30 team_lead\n120 key_role 应急负责人\n240 group E90001",
    }
    client = client_for(world.admin)
    bad = client.post("/desk/sla-policies/new/", {**form, "escalation": "soon boss"})
    assert bad.status_code == 200 and "start with the minutes" in bad.content.decode()
    client.post("/desk/sla-policies/new/", form)
    policy = SlaPolicy.objects.get(name="战略客户")
    assert policy.account_levels == ["strategic"]
    assert list(policy.categories.all()) == [category]
    chain = [(s.level, s.after_minutes, s.recipient) for s in policy.escalation_steps.all()]
    assert chain == [
        (1, 0, "assignee"),
        (2, 30, "team_lead"),
        (3, 120, "key_role"),
        (4, 240, "group"),
    ]
    page = client.get(f"/desk/sla-policies/{policy.pk}/").content.decode()
    assert "应急负责人" in page and "Strategic" in page
    # Only a strategic account's ticket in that category matches it.
    strategic = f.contact("战略客户甲", level="strategic")
    ticket = f.ticket(
        world.support,
        contact_=strategic,
        category=category,
        impact="widespread",
        severity="critical",
    )
    assert ticket.sla_policy == policy
    standard = f.ticket(world.support, category=category, impact="widespread", severity="critical")
    assert standard.sla_policy != policy


def test_api_policy_with_levels_categories_and_escalation(world, calendar):
    from django.test import Client

    from kehu.access.services import api_token_create
    from kehu.desk.models import Category

    category = Category.objects.create(department=world.support, name="网络")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.admin, name='t').secret}"}
    body = {
        "name": "重点客户网络",
        "calendar_id": calendar.pk,
        "account_levels": ["key", "strategic"],
        "category_ids": [category.pk],
        "targets": [{"priority": "high", "first_response_minutes": 30, "resolution_minutes": 240}],
        "escalation": [
            {"level": 1, "after_minutes": 0, "recipient": "assignee"},
            {"level": 2, "after_minutes": 60, "recipient": "department_head"},
        ],
    }
    client = Client()
    created = client.post("/api/desk/sla-policies", body, content_type="application/json", **auth)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["account_levels"] == ["key", "strategic"] and data["category_ids"] == [category.pk]
    assert [s["recipient"] for s in data["escalation"]] == ["assignee", "department_head"]
    backwards = {
        **body,
        "name": "x",
        "escalation": [
            {"level": 1, "after_minutes": 60, "recipient": "assignee"},
            {"level": 2, "after_minutes": 0, "recipient": "department_head"},
        ],
    }
    refused = client.post(
        "/api/desk/sla-policies", backwards, content_type="application/json", **auth
    )
    assert refused.status_code == 422 and "earlier" in refused.content.decode()
