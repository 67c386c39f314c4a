"""The major-incident process: declare, link, notify (idempotent), timeline, status, close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError

from kehu.access.models import Role
from kehu.conftest import EmployeeFactory, make_user
from kehu.core.concurrency import StaleVersionError
from kehu.desk import tickets as ticket_services
from kehu.desk.models import Message, Status
from kehu.desk.tests.factories import contact, ticket
from kehu.incidents import services
from kehu.incidents.models import (
    ImmutableTimelineError,
    IncidentNotice,
    IncidentStatus,
    MajorIncident,
    TimelineEntry,
)
from kehu.incidents.rules import is_responder
from kehu.incidents.selectors import incidents_for_account

NOTICE = "我们的机房出现断电，工程师正在处理。We are restoring power."


@pytest.fixture
def outage(world):
    """An incident with tickets of two customers and one internal request."""
    a, b = contact("甲公司"), contact("乙公司")
    tickets = [
        ticket(world.support, contact_=a, subject="网站打不开"),
        ticket(world.support, contact_=a, subject="接口超时"),
        ticket(world.support, contact_=b, subject="控制台报错"),
        ticket(world.support, employee=EmployeeFactory(department=world.finance)),
    ]
    incident = services.incident_declare(
        services.NewIncident(title="机房断电", response_departments=[world.support]),
        actor=world.agent,
    )
    return incident, tickets, a.account, b.account


def _kinds(incident: MajorIncident) -> list[str]:
    return list(incident.timeline.values_list("kind", flat=True))


def test_linking_tickets_adds_their_accounts(world, outage):
    incident, tickets, account_a, account_b = outage

    linked = services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:3])

    assert [t.pk for t in linked] == [t.pk for t in tickets[:3]]
    assert set(incident.affected_accounts.all()) == {account_a, account_b}
    # an internal request has no account; linking it adds the ticket only
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[3:])
    assert incident.tickets.count() == 4
    assert incident.affected_accounts.count() == 2
    assert _kinds(incident) == ["status", "internal", "internal"]
    assert tickets[0].reference in incident.timeline.all()[1].text


def test_linking_a_ticket_twice_is_skipped(world, outage):
    incident, tickets, *_ = outage
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:1])
    again = services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:1])
    assert again == []
    assert incident.tickets.count() == 1
    assert incident.timeline.count() == 2  # no entry for a link that changed nothing


def test_declare_links_first_tickets(world):
    first = ticket(world.support, contact_=contact("丙公司"))
    incident = services.incident_declare(
        services.NewIncident(title="  数据库故障 ", tickets=[first]), actor=world.lead
    )
    assert incident.title == "数据库故障"
    assert incident.declared_by == world.lead
    assert incident.reference == f"MI-{incident.pk}"
    assert list(incident.affected_accounts.all()) == [first.account]


def test_declare_needs_a_title(world):
    with pytest.raises(ValidationError) as caught:
        services.incident_declare(services.NewIncident(title="  "), actor=world.agent)
    assert "title" in caught.value.message_dict


def test_unlinking_keeps_the_account_affected(world, outage):
    incident, tickets, account_a, _ = outage
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:1])
    services.incident_unlink_ticket(incident, actor=world.agent, ticket=tickets[0])
    assert incident.tickets.count() == 0
    assert list(incident.affected_accounts.all()) == [account_a]
    with pytest.raises(ValidationError, match="not linked"):
        services.incident_unlink_ticket(incident, actor=world.agent, ticket=tickets[0])


def test_notify_posts_one_public_reply_per_open_ticket_and_is_idempotent(world, outage):
    incident, tickets, *_ = outage
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets)
    ticket_services.change_status(tickets[2], Status.RESOLVED, actor=world.agent)

    first = services.incident_notify(incident, actor=world.agent, text=NOTICE)

    open_ones = [tickets[0], tickets[1], tickets[3]]
    assert sorted(t.pk for t in first.posted) == sorted(t.pk for t in open_ones)
    for t in open_ones:
        notices = t.messages.filter(body=NOTICE)
        assert [(m.kind, m.author) for m in notices] == [(Message.Kind.PUBLIC, world.agent)]
    assert not tickets[2].messages.filter(body=NOTICE).exists()  # resolved: not open
    entry = incident.timeline.get(kind=TimelineEntry.Kind.CUSTOMER_NOTICE)
    assert entry.notified_count == 3
    assert entry.text == NOTICE

    # A second click (even with different spacing) posts nothing and records nothing.
    second = services.incident_notify(incident, actor=world.agent, text=f"  {NOTICE}\n")
    assert second.posted == []
    assert second.already_notified == 3
    assert second.entry is None
    assert Message.objects.filter(body=NOTICE).count() == 3
    assert incident.timeline.filter(kind=TimelineEntry.Kind.CUSTOMER_NOTICE).count() == 1


def test_same_notice_reaches_tickets_linked_later_once(world, outage):
    incident, tickets, *_ = outage
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:1])
    services.incident_notify(incident, actor=world.agent, text=NOTICE)
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[1:2])

    again = services.incident_notify(incident, actor=world.agent, text=NOTICE)

    assert [t.pk for t in again.posted] == [tickets[1].pk]
    assert again.entry is not None and again.entry.notified_count == 1
    assert Message.objects.filter(body=NOTICE).count() == 2
    assert IncidentNotice.objects.filter(incident=incident).count() == 2


def test_a_new_notice_text_is_posted_again(world, outage):
    incident, tickets, *_ = outage
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:2])
    services.incident_notify(incident, actor=world.agent, text=NOTICE)
    update = services.incident_notify(incident, actor=world.agent, text="电力已恢复。")
    assert len(update.posted) == 2
    assert incident.timeline.filter(kind=TimelineEntry.Kind.CUSTOMER_NOTICE).count() == 2


def test_empty_notice_is_refused(world, outage):
    incident, *_ = outage
    with pytest.raises(ValidationError) as caught:
        services.incident_notify(incident, actor=world.agent, text=" \n ")
    assert "text" in caught.value.message_dict


def test_status_changes_write_timeline_entries(world, outage):
    incident, *_ = outage
    updated = services.incident_update(
        incident,
        actor=world.agent,
        expected_version=incident.version,
        changes={"status": IncidentStatus.INVESTIGATING},
    )
    updated = services.incident_update(
        updated,
        actor=world.lead,
        expected_version=updated.version,
        changes={"status": IncidentStatus.MITIGATED, "severity": "sev1"},
    )
    assert updated.mitigated_at is not None
    status_entries = list(incident.timeline.filter(kind=TimelineEntry.Kind.STATUS))
    assert [e.text for e in status_entries] == [
        "Declared",
        "Declared → Investigating",
        "Investigating → Mitigated",
    ]
    assert status_entries[2].author == world.lead
    # editing other fields writes no status entry
    services.incident_update(
        updated, actor=world.agent, expected_version=updated.version, changes={"title": "新标题"}
    )
    assert incident.timeline.filter(kind=TimelineEntry.Kind.STATUS).count() == 3


def test_status_moves_are_validated(world, outage):
    incident, *_ = outage
    with pytest.raises(ValidationError, match="post-incident review"):
        services.incident_update(
            incident,
            actor=world.agent,
            expected_version=incident.version,
            changes={"status": IncidentStatus.CLOSED},
        )
    resolved = services.incident_update(
        incident,
        actor=world.agent,
        expected_version=incident.version,
        changes={"status": IncidentStatus.RESOLVED},
    )
    with pytest.raises(ValidationError, match="cannot go from"):
        services.incident_update(
            resolved,
            actor=world.agent,
            expected_version=resolved.version,
            changes={"status": IncidentStatus.MITIGATED},
        )
    assert MajorIncident.objects.get(pk=incident.pk).status == IncidentStatus.RESOLVED


def test_stale_update_is_refused_and_changes_nothing(world, outage):
    incident, *_ = outage
    read_version = incident.version
    services.incident_update(
        incident, actor=world.agent, expected_version=read_version, changes={"title": "先到"}
    )
    with pytest.raises(StaleVersionError):
        services.incident_update(
            incident,
            actor=world.lead,
            expected_version=read_version,
            changes={"title": "后到", "status": IncidentStatus.INVESTIGATING},
        )
    current = MajorIncident.objects.get(pk=incident.pk)
    assert (current.title, current.status) == ("先到", IncidentStatus.DECLARED)
    assert incident.timeline.filter(kind=TimelineEntry.Kind.STATUS).count() == 1


def _resolved(incident: MajorIncident, actor) -> MajorIncident:
    return services.incident_update(
        incident,
        actor=actor,
        expected_version=incident.version,
        changes={"status": IncidentStatus.RESOLVED},
    )


def test_closing_without_review_fails_clearly(world, outage):
    incident = _resolved(outage[0], world.agent)
    with pytest.raises(ValidationError) as caught:
        services.incident_close(
            incident, actor=world.agent, expected_version=incident.version, review={}
        )
    errors = caught.value.message_dict
    assert errors["review_summary"] == [
        "Closing needs the post-incident review: write its summary."
    ]
    assert errors["review_root_cause"] == [
        "Closing needs the post-incident review: name the root cause."
    ]
    assert MajorIncident.objects.get(pk=incident.pk).status == IncidentStatus.RESOLVED


def test_closing_an_unresolved_incident_fails(world, outage):
    incident = outage[0]
    with pytest.raises(ValidationError) as caught:
        services.incident_close(
            incident,
            actor=world.agent,
            expected_version=incident.version,
            review={"review_summary": "断电", "review_root_cause": "UPS 故障"},
        )
    assert "Resolve the incident" in caught.value.message_dict["status"][0]


def test_close_with_review_freezes_the_incident(world, outage):
    incident, tickets, *_ = outage
    incident = _resolved(incident, world.agent)
    # a saved draft counts; the close call may add the rest
    incident = services.incident_update(
        incident,
        actor=world.agent,
        expected_version=incident.version,
        changes={"review_summary": "两小时断电"},
    )
    closed = services.incident_close(
        incident,
        actor=world.lead,
        expected_version=incident.version,
        review={"review_root_cause": "UPS 电池老化", "review_actions": "更换电池"},
    )
    assert closed.status == IncidentStatus.CLOSED
    assert closed.review_summary == "两小时断电"
    assert closed.review_root_cause == "UPS 电池老化"
    assert closed.review_completed_at is not None and closed.closed_at is not None
    assert incident.timeline.last().text == "Resolved → Closed"
    with pytest.raises(ValidationError, match="closed"):
        services.incident_link_tickets(closed, actor=world.agent, tickets=tickets[:1])
    with pytest.raises(ValidationError, match="closed"):
        services.timeline_add(closed, actor=world.agent, kind="update", text="补充")


def test_stale_close_is_refused(world, outage):
    incident = _resolved(outage[0], world.agent)
    with pytest.raises(StaleVersionError):
        services.incident_close(
            incident,
            actor=world.agent,
            expected_version=incident.version - 1,
            review={"review_summary": "断电", "review_root_cause": "UPS"},
        )


def test_timeline_entries_are_immutable(world, outage):
    incident, *_ = outage
    entry = services.timeline_add(incident, actor=world.agent, kind="update", text="已定位到电源")
    entry.text = "改写历史"
    with pytest.raises(ImmutableTimelineError):
        entry.save()
    with pytest.raises(ImmutableTimelineError):
        entry.delete()
    with pytest.raises(ImmutableTimelineError):
        TimelineEntry.objects.filter(pk=entry.pk).update(text="改写历史")
    with pytest.raises(ImmutableTimelineError):
        TimelineEntry.objects.filter(pk=entry.pk).delete()
    assert TimelineEntry.objects.get(pk=entry.pk).text == "已定位到电源"


def test_only_updates_and_internal_notes_are_added_by_hand(world, outage):
    incident, *_ = outage
    for kind in ("status", "customer_notice"):
        with pytest.raises(ValidationError) as caught:
            services.timeline_add(incident, actor=world.agent, kind=kind, text="伪造")
        assert "kind" in caught.value.message_dict


def test_incidents_for_account(world, outage):
    incident, tickets, account_a, account_b = outage
    services.incident_link_tickets(incident, actor=world.agent, tickets=tickets[:1])
    other = services.incident_declare(
        services.NewIncident(title="网络抖动", tickets=[tickets[2]]), actor=world.agent
    )
    assert list(incidents_for_account(account_a)) == [incident]
    assert list(incidents_for_account(account_b)) == [other]


def test_who_responds(world):
    after_sales = make_user("aftersales", (Role.AFTER_SALES, None))
    assert [is_responder(u) for u in (world.agent, world.lead, world.admin, after_sales)] == [
        True
    ] * 4
    assert [is_responder(u) for u in (world.auditor, world.employee, world.customer_a)] == [
        False
    ] * 3


@pytest.mark.parametrize(
    "at",
    [
        datetime(2999, 1, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(2026, 1, 1),  # noqa: DTZ001  (no zone on purpose)
    ],
)
def test_timeline_time_must_be_a_recent_past_with_zone(world, outage, at):
    with pytest.raises(ValidationError) as caught:
        services.timeline_add(outage[0], actor=world.agent, kind="update", text="x", at=at)
    assert "at" in caught.value.message_dict
