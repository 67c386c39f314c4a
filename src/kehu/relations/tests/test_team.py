"""The iron triangle: one AR (the owner), one SR, one FR and members; audited; handover."""

import pytest
from django.core.exceptions import ValidationError

from kehu.audit.selectors import history_for
from kehu.conftest import EmployeeFactory, client_for
from kehu.core.concurrency import StaleVersionError
from kehu.customers.models import Account, AccountTeamMember
from kehu.handover.services import handover_start
from kehu.notify.models import Notification
from kehu.relations import selectors, team
from kehu.relations.models import IronTriangle
from kehu.relations.tests.factories import served_account

pytestmark = pytest.mark.django_db


def _triangle(world, served, **extra):
    sr = EmployeeFactory(department=world.support)
    fr = EmployeeFactory(department=world.support)
    made = team.triangle_set(
        account=served.account,
        account_manager=served.owner,
        solution_manager=sr,
        fulfilment_manager=fr,
        by=world.admin,
        **extra,
    )
    return made, sr, fr


def test_the_selector_gives_ar_sr_fr_and_members(world, django_assert_max_num_queries):
    served = served_account(world)
    member = EmployeeFactory(department=world.support)
    _made, sr, fr = _triangle(world, served, members=[member])
    with django_assert_max_num_queries(2):
        found = selectors.iron_triangle(served.account)
        assert (found.ar, found.sr, found.fr) == (served.owner, sr, fr)
        assert list(found.members.all()) == [member]
    assert selectors.iron_triangle(Account.objects.create(name="无团队")) is None


def test_one_person_holds_one_seat(world):
    served = served_account(world)
    sr = EmployeeFactory(department=world.support)
    with pytest.raises(ValidationError) as refused:
        team.triangle_set(
            account=served.account,
            account_manager=served.owner,
            solution_manager=sr,
            fulfilment_manager=sr,
            by=world.admin,
        )
    assert "one person, one seat" in str(refused.value)
    assert not IronTriangle.objects.exists()


def test_every_seat_must_be_held(world):
    served = served_account(world)
    with pytest.raises(ValidationError) as refused:
        team.triangle_set(
            account=served.account,
            account_manager=served.owner,
            solution_manager=None,
            fulfilment_manager=EmployeeFactory(department=world.support),
            by=world.admin,
        )
    assert "solution_manager" in refused.value.message_dict


def test_a_new_ar_becomes_the_owner_and_seats_join_the_team(world):
    served = served_account(world)
    made, sr, fr = _triangle(world, served)
    new_ar = EmployeeFactory(department=world.finance)
    team.triangle_set(
        account=served.account,
        account_manager=new_ar,
        solution_manager=sr,
        fulfilment_manager=fr,
        by=world.admin,
        version=made.version,
    )
    served.account.refresh_from_db()
    assert served.account.owner == new_ar
    roles = dict(
        AccountTeamMember.objects.filter(account=served.account).values_list("employee", "role")
    )
    assert roles[sr.pk] == "SR" and roles[fr.pk] == "FR"


def test_a_stale_version_changes_nothing(world):
    served = served_account(world)
    made, sr, fr = _triangle(world, served)
    with pytest.raises(StaleVersionError):
        team.triangle_set(
            account=served.account,
            account_manager=served.owner,
            solution_manager=fr,
            fulfilment_manager=sr,
            by=world.admin,
            version=made.version - 1,
        )
    assert selectors.iron_triangle(served.account).sr == sr


def test_team_changes_are_audited(world):
    served = served_account(world)
    made, _sr, _fr = _triangle(world, served)
    member = EmployeeFactory(department=world.support)
    made.members.add(member)
    entries = history_for(made)
    assert entries.count() >= 2


def test_a_handover_moves_the_ar_and_vacates_the_leavers_seats(world):
    served = served_account(world)
    _made, sr, _fr = _triangle(world, served)
    successor = EmployeeFactory(department=world.finance)
    # The SR leaves: their seat falls vacant and the AR is told.
    sr_user_owner = served.owner.user
    handover_start(
        from_employee=sr,
        reason="leaving",
        by=world.admin,
        assignments={Account.objects.create(name="SR 的客户", owner=sr): successor},
    )
    found = selectors.iron_triangle(served.account)
    assert found.sr is None and found.vacant_seats == ["SR"]
    assert Notification.objects.filter(
        recipient=sr_user_owner, event=team.SEAT_VACANT_EVENT
    ).exists()
    assert not AccountTeamMember.objects.filter(account=served.account, employee=sr).exists()
    # The AR leaves: the handover gives the account a new owner, who takes the AR seat.
    handover_start(
        from_employee=served.owner,
        reason="leaving",
        by=world.admin,
        assignments={served.account: successor},
    )
    assert selectors.iron_triangle(served.account).ar == successor


def test_the_dashboard_shows_the_team_and_credits_all_three(world, django_assert_max_num_queries):
    served = served_account(world)
    _made, sr, fr = _triangle(world, served)
    client = client_for(world.account_manager)
    with django_assert_max_num_queries(30):
        page = client.get(f"/relations/accounts/{served.account.pk}/team/")
    assert page.status_code == 200
    credited = page.content.decode()
    for employee in (served.owner, sr, fr):
        assert str(employee) in credited


def test_the_team_is_named_through_the_page(world):
    served = served_account(world)
    sr = EmployeeFactory(department=world.support)
    fr = EmployeeFactory(department=world.support)
    client = client_for(world.admin)
    url = f"/relations/accounts/{served.account.pk}/team/edit/"
    same = {"account_manager": served.owner.pk, "solution_manager": sr.pk}
    refused = client.post(url, {**same, "fulfilment_manager": sr.pk})
    assert refused.status_code == 200 and not IronTriangle.objects.exists()
    done = client.post(url, {**same, "fulfilment_manager": fr.pk})
    assert done.status_code == 302
    assert selectors.iron_triangle(served.account).fr == fr
    stale = client.post(url, {**same, "fulfilment_manager": fr.pk, "version": 0})
    assert stale.status_code == 409


def test_the_team_through_the_api(world):
    served = served_account(world)
    sr = EmployeeFactory(department=world.support)
    fr = EmployeeFactory(department=world.support)
    client = client_for(world.account_manager)
    url = f"/api/relations/accounts/{served.account.pk}/team"
    assert client.get(url).status_code == 404  # no team yet
    body = {
        "account_manager_id": served.owner.pk,
        "solution_manager_id": sr.pk,
        "fulfilment_manager_id": sr.pk,
    }
    refused = client.put(url, body, content_type="application/json")
    assert refused.status_code == 422
    made = client.put(
        url, {**body, "fulfilment_manager_id": fr.pk}, content_type="application/json"
    )
    assert made.status_code == 200
    assert [c["seat"] for c in made.json()["credited_to"]] == [
        "Account manager (AR)",
        "Solution manager (SR)",
        "Fulfilment manager (FR)",
    ]
    stale = client.put(
        url,
        {**body, "fulfilment_manager_id": fr.pk, "version": 99},
        content_type="application/json",
    )
    assert stale.status_code == 409
    board = client.get(f"/api/relations/accounts/{served.account.pk}/dashboard").json()
    assert board["team"]["solution_manager"]["id"] == sr.pk
    # The lead reads the team but does not name it; others never see it.
    assert client_for(world.lead).put(url, body, content_type="application/json").status_code == 403
    assert client_for(world.employee).get(url).status_code == 404
