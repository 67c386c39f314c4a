"""The service catalogue's own promise: an internal request no SLA policy matches is timed by its
service's response and resolution minutes; interface persons take and hear of what they front."""

from datetime import timedelta

import pytest

from kehu.conftest import DepartmentFactory, EmployeeFactory, ServiceFactory
from kehu.desk.models import SlaPolicy, Target
from kehu.desk.signals import ticket_events
from kehu.desk.sla import sweep
from kehu.desk.sla.selectors import sla_policies
from kehu.desk.tests import factories as f
from kehu.org.models import InterfaceAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """IT supplies a service to Sales; the only SLA policy is for another department."""
    it = DepartmentFactory(code="IT", name="信息部", name_en="IT")
    sales = DepartmentFactory(code="SALES", name="销售部", name_en="Sales")
    other = DepartmentFactory(code="HR", name="人力资源部", name_en="HR")
    it.head = EmployeeFactory(department=it, name="信息部负责人")
    it.save()
    calendar = f.always_calendar()
    f.policy(calendar, name="HR only", first=5, resolution=10, departments=[other])
    service = ServiceFactory(
        department=it, name="开通账号", response_minutes=30, resolution_minutes=120
    )
    requester = EmployeeFactory(department=sales, name="销售小王")
    return {"it": it, "sales": sales, "service": service, "requester": requester}


def _request(org, **fields):
    return f.ticket(
        org["it"], employee=org["requester"], service=org["service"], channel="internal", **fields
    )


def _clock(ticket, target):
    return next(c for c in ticket.clocks.all() if c.target == target)


def test_an_internal_request_no_policy_matches_runs_on_the_services_own_targets(org):
    ticket = _request(org)
    assert ticket.sla_policy is not None and ticket.sla_policy.is_catalogue_fallback
    first = _clock(ticket, Target.FIRST_RESPONSE)
    resolution = _clock(ticket, Target.RESOLUTION)
    assert first.target_minutes == 30
    assert first.due_at == ticket.created_at + timedelta(minutes=30)  # a 24/7 calendar
    assert resolution.target_minutes == 120
    # The fallback is no policy anyone lists, edits or matches.
    assert not sla_policies().filter(pk=ticket.sla_policy.pk).exists()


def test_a_matching_policy_still_wins(org):
    f.policy(
        f.always_calendar("IT hours"),
        name="IT",
        first=15,
        resolution=60,
        departments=[org["it"]],
    )
    ticket = _request(org)
    assert ticket.sla_policy.name == "IT"
    assert _clock(ticket, Target.FIRST_RESPONSE).target_minutes == 15
    assert not SlaPolicy.objects.filter(is_catalogue_fallback=True).exists()  # never needed


def test_a_customer_ticket_no_policy_matches_has_no_clock(org):
    ticket = f.ticket(org["it"])
    assert ticket.sla_policy is None
    assert not ticket.clocks.exists()


def test_an_internal_request_goes_to_the_interface_person_who_fronts_it(org):
    fronting = EmployeeFactory(department=org["it"], name="接口人老李")
    InterfaceAssignment.objects.create(
        requesting_department=org["sales"], supplier_department=org["it"], person=fronting
    )
    assert _request(org).assignee == fronting

    # The service's own interface person comes first; a named assignee before both.
    own = EmployeeFactory(department=org["it"], name="服务接口人")
    org["service"].interface_person = own
    org["service"].save()
    assert _request(org).assignee == own
    chosen = EmployeeFactory(department=org["it"], name="指定的人")
    assert _request(org, assignee=chosen).assignee == chosen


def test_interface_persons_receive_the_early_warning(org, django_capture_on_commit_callbacks):
    fronting = EmployeeFactory(department=org["it"], name="接口人老李")
    InterfaceAssignment.objects.create(
        requesting_department=org["sales"], supplier_department=org["it"], person=fronting
    )
    agent = EmployeeFactory(department=org["it"], name="处理人")
    ticket = _request(org, assignee=agent)
    seen = []

    def receive(sender, events, **kwargs):
        seen.extend(e.data for e in events if e.event == "sla.warning")

    ticket_events.connect(receive, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            fired = sweep.sweep_due(now=ticket.created_at + timedelta(minutes=23))
    finally:
        ticket_events.disconnect(receive)
    assert fired == 1  # 75 % of the service's 30 minutes
    assert sorted(seen[0]["recipient_ids"]) == sorted([agent.pk, fronting.pk])
