"""Writes of the map: validation, versions, stage history, the timeline, the five steps."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from kehu.access.models import Role
from kehu.conftest import make_user
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account, Contact, TimelineEntry
from kehu.customers.selectors import timeline_page
from kehu.relations import selectors, services
from kehu.relations.models import Person, StageChange
from kehu.relations.tests.factories import person, served_account

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


def test_a_contact_of_another_account_cannot_join_the_map():
    mine = Account.objects.create(name="甲公司")
    theirs = Contact.objects.create(account=Account.objects.create(name="乙公司"), name="李总")
    with pytest.raises(ValidationError) as refused:
        services.person_create(account=mine, contact=theirs)
    assert "another account" in str(refused.value)
    assert not Person.objects.exists()


def test_putting_someone_on_the_map_records_their_first_stage():
    someone = person(Account.objects.create(name="甲公司"), stage="meeting")
    assert list(someone.stage_changes.values_list("from_stage", "to_stage")) == [("", "meeting")]


def test_an_unknown_stage_is_refused():
    someone = person(Account.objects.create(name="甲公司"))
    with pytest.raises(ValidationError):
        services.stage_change(person=someone, version=someone.version, to_stage="bff", by=None)


def test_stage_change_is_dated_with_its_cause_and_recorder(world):
    served = served_account(world)
    someone = person(served.account)
    met = services.interaction_record(
        account=served.account,
        by=world.account_manager,
        kind="dinner",
        occurred_on=TODAY,
        subject="晚餐",
        people_ids=[someone.pk],
        today=TODAY,
    )
    change = services.stage_change(
        person=someone,
        version=someone.version,
        to_stage="trust",
        by=world.account_manager,
        changed_on=TODAY,
        interaction=met,
        today=TODAY,
    )
    assert (change.from_stage, change.to_stage, change.interaction, change.recorded_by) == (
        "acquaintance",
        "trust",
        met,
        served.owner,
    )
    someone.refresh_from_db()
    assert someone.stage == "trust"


def test_going_back_needs_a_reason_and_nothing_changes_without_it():
    someone = person(Account.objects.create(name="甲公司"), stage="trust")
    with pytest.raises(ValidationError):
        services.stage_change(person=someone, version=1, to_stage="meeting", by=None)
    someone.refresh_from_db()
    assert someone.stage == "trust"
    assert someone.stage_changes.count() == 1
    services.stage_change(
        person=someone, version=1, to_stage="meeting", by=None, reason="项目失败后疏远"
    )
    assert StageChange.objects.filter(person=someone, to_stage="meeting").exists()


def test_a_stage_change_cannot_be_dated_in_the_future():
    someone = person(Account.objects.create(name="甲公司"))
    with pytest.raises(ValidationError):
        services.stage_change(
            person=someone,
            version=1,
            to_stage="meeting",
            by=None,
            changed_on=TODAY + timedelta(days=1),
            today=TODAY,
        )


def test_concurrent_edits_of_one_person_refuse_the_stale_one():
    someone = person(Account.objects.create(name="甲公司"))
    services.person_update(person=someone, version=1, title="总经理")
    with pytest.raises(StaleVersionError):
        services.person_update(person=someone, version=1, title="副总")
    someone.refresh_from_db()
    assert (someone.title, someone.version) == ("总经理", 2)


def test_update_refuses_a_reporting_loop_and_keeps_the_row():
    account = Account.objects.create(name="甲公司")
    boss = person(account, "老板")
    deputy = person(account, "副总", reports_to_id=boss.pk)
    with pytest.raises(ValidationError):
        services.person_update(person=boss, version=boss.version, reports_to_id=deputy.pk)
    boss.refresh_from_db()
    assert boss.reports_to_id is None


def test_an_interaction_dated_in_the_future_is_refused():
    account = Account.objects.create(name="甲公司")
    with pytest.raises(ValidationError) as refused:
        services.interaction_record(
            account=account,
            by=None,
            kind="visit",
            occurred_on=TODAY + timedelta(days=3),
            subject="拜访",
            today=TODAY,
        )
    assert "future" in str(refused.value)


def test_an_attendee_of_another_account_is_refused():
    account = Account.objects.create(name="甲公司")
    stranger = person(Account.objects.create(name="乙公司"))
    with pytest.raises(ValidationError):
        services.interaction_record(
            account=account,
            by=None,
            kind="call",
            occurred_on=TODAY,
            subject="电话",
            people_ids=[stranger.pk],
            today=TODAY,
        )
    assert not account.relationship_interactions.exists()


def test_an_interaction_writes_a_restricted_timeline_line(world):
    served = served_account(world)
    interaction = services.interaction_record(
        account=served.account,
        by=world.account_manager,
        kind="meeting",
        occurred_on=TODAY,
        subject="需求交流会",
        spin_problem="现有系统哪些环节最耗时？",
        today=TODAY,
    )
    line = TimelineEntry.objects.get(source=f"relations.interaction:{interaction.pk}")
    assert line.restricted
    assert "需求交流会" not in line.title  # the subject stays on the map page
    visible = make_user("plain", (Role.EMPLOYEE, None))
    assert timeline_page(served.account, user=visible).entries == []
    assert timeline_page(served.account, user=world.account_manager).entries == [line]


def test_the_five_steps_follow_the_data():
    account = Account.objects.create(name="甲公司")
    assert selectors.account_map(account, today=TODAY).current_step.number == 1
    boss = person(account, "老板", influence=5)
    services.interaction_record(
        account=account,
        by=None,
        kind="visit",
        occurred_on=TODAY,
        subject="拜访",
        people_ids=[boss.pk],
        today=TODAY,
    )
    data = selectors.account_map(account, today=TODAY)
    assert data.current_step.number == 2
    assert any("Decision maker" in m for m in data.current_step.missing)
    for role in ("decision_maker", "selector", "evaluator"):
        services.role_set(person=boss, role=role, stance="supporter", cares_about="降本")
    assert selectors.account_map(account, today=TODAY).current_step.number == 3
    services.person_update(
        person=boss,
        version=boss.version,
        is_coach=True,
        coach_influence="影响面广",
        coach_informed="资深",
        coach_win_win="希望双赢",
    )
    data = selectors.account_map(account, today=TODAY)
    assert data.current_step.number == 4
    assert data.steps[2].done


def test_coverage_gaps_name_what_is_missing():
    account = Account.objects.create(name="甲公司")
    boss = person(account, "老板", influence=5)
    services.role_set(person=boss, role="decision_maker")
    gaps = selectors.account_map(account, today=TODAY, quiet_days=30).gaps
    assert "No coach." in gaps
    assert "Acceptor unknown." in gaps
    assert "Decision maker 老板 is below trust." in gaps
    assert "No interaction with 老板 for 30 days." in gaps


def test_setting_the_level_is_versioned():
    account = Account.objects.create(name="甲公司")
    level = services.level_set(account=account, level="key", evidence="高层互访", version=None)
    with pytest.raises(StaleVersionError):
        services.level_set(account=account, level="general", evidence="", version=level.version + 5)
    with pytest.raises(ValidationError):
        services.level_set(
            account=account, level="organisational", evidence="", version=level.version
        )


def test_an_unknown_buying_role_is_refused():
    someone = person(Account.objects.create(name="甲公司"))
    with pytest.raises(ValidationError):
        services.role_set(person=someone, role="boss")
