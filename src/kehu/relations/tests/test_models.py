"""Single-row invariants of the relationship map."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import Account
from kehu.relations.models import AccountRelationship, Interaction, Person, StageChange
from kehu.relations.tests.factories import person

pytestmark = pytest.mark.django_db


def test_reports_to_loop_is_refused_with_a_clear_message():
    account = Account.objects.create(name="甲公司")
    boss = person(account, "老板")
    middle = person(account, "经理", reports_to_id=boss.pk)
    boss.reports_to = middle
    with pytest.raises(ValidationError) as refused:
        boss.full_clean()
    assert "reporting loop" in str(refused.value.message_dict["reports_to"])


def test_a_person_cannot_report_to_themselves():
    account = Account.objects.create(name="甲公司")
    alone = person(account)
    alone.reports_to = alone
    with pytest.raises(ValidationError):
        alone.full_clean()


def test_manager_of_another_account_is_refused():
    mine = person(Account.objects.create(name="甲公司"))
    theirs = person(Account.objects.create(name="乙公司"), "李总")
    mine.reports_to = theirs
    with pytest.raises(ValidationError) as refused:
        mine.full_clean()
    assert "same account" in str(refused.value)


def test_influence_is_between_one_and_five():
    someone = person(Account.objects.create(name="甲公司"))
    someone.influence = 6
    with pytest.raises(ValidationError):
        someone.full_clean()


def test_a_coach_missing_evidence_is_flagged():
    someone = person(
        Account.objects.create(name="甲公司"),
        is_coach=True,
        coach_influence="认识所有部门负责人",
        coach_informed="在公司十年",
    )
    assert someone.coach_lapsed
    someone.coach_win_win = "希望项目成功"
    assert not someone.coach_lapsed


def test_a_regression_needs_a_reason():
    someone: Person = person(Account.objects.create(name="甲公司"))
    change = StageChange(
        person=someone, from_stage="trust", to_stage="meeting", changed_on=date(2026, 1, 1)
    )
    assert change.is_regression
    with pytest.raises(ValidationError):
        change.full_clean()
    change.reason = "换了部门"
    change.full_clean()


def test_a_level_above_general_needs_evidence():
    level = AccountRelationship(account=Account.objects.create(name="甲公司"), level="key")
    with pytest.raises(ValidationError):
        level.full_clean()


def test_a_next_step_cannot_be_due_before_the_interaction():
    interaction = Interaction(
        account=Account.objects.create(name="甲公司"),
        kind="call",
        occurred_on=date(2026, 3, 2),
        subject="电话",
        next_step="发报价",
        next_step_due=date(2026, 3, 1),
    )
    with pytest.raises(ValidationError):
        interaction.full_clean()
