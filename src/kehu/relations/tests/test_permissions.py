"""Point 10: the map is personal data. Each persona tries the page, the panel and the API."""

import pytest

from kehu.conftest import client_for
from kehu.customers.models import Contact
from kehu.relations.tests.factories import person, served_account

# persona -> (sees the map, may change it)
EXPECTED = {
    "account_manager": (True, True),  # owner
    "agent": (True, True),  # team member
    "lead": (True, False),  # leads the team member's department (support, under after-sales)
    "after_sales": (True, True),
    "admin": (True, True),
    "auditor": (False, False),
    "employee": (False, False),
    "customer_a": (False, False),  # a contact of this very account
    "outsider": (False, False),
}


@pytest.fixture
def served(world):
    served = served_account(world)
    Contact.objects.create(account=served.account, name="门户用户", user=world.customer_a)
    served.someone = person(served.account, "王总", notes="喜欢打高尔夫")
    return served


@pytest.mark.parametrize("persona", sorted(EXPECTED))
def test_each_persona_sees_the_map_only_as_point_ten_allows(world, served, persona):
    sees, changes = EXPECTED[persona]
    client = client_for(getattr(world, persona))
    account = served.account
    page = client.get(f"/relations/accounts/{account.pk}/")
    assert (page.status_code == 200) is sees
    if sees:
        assert "王总" in page.content.decode()
    api = client.get(f"/api/relations/accounts/{account.pk}")
    assert (api.status_code == 200) is sees, api.content
    person_api = client.get(f"/api/relations/people/{served.someone.pk}")
    assert (person_api.status_code == 200) is sees
    if not sees:
        assert "高尔夫" not in person_api.content.decode()
    edit = client.patch(
        f"/api/relations/people/{served.someone.pk}",
        {"version": 1, "title": "总经理"},
        content_type="application/json",
    )
    assert (edit.status_code == 200) is changes, edit.content
    if not changes:
        assert edit.status_code == (403 if sees else 404)


@pytest.mark.parametrize("persona", ["account_manager", "agent", "lead"])
def test_the_account_page_shows_the_panel_to_those_who_may_see_it(world, served, persona):
    html = client_for(getattr(world, persona)).get(f"/customers/accounts/{served.account.pk}/")
    assert 'data-testid="relations-panel"' in html.content.decode()


@pytest.mark.parametrize("persona", ["employee", "auditor"])
def test_the_account_page_hides_the_panel_from_other_staff(world, served, persona):
    page = client_for(getattr(world, persona)).get(f"/customers/accounts/{served.account.pk}/")
    assert page.status_code == 200
    assert 'data-testid="relations-panel"' not in page.content.decode()
    assert "高尔夫" not in page.content.decode()  # the name is a contact; the notes are not


def test_another_account_manager_does_not_see_an_account_they_do_not_serve(world, served):
    from kehu.access.models import Role
    from kehu.conftest import make_user

    other = make_user("other_am", (Role.ACCOUNT_MANAGER, None))
    response = client_for(other).get(f"/api/relations/accounts/{served.account.pk}")
    assert response.status_code == 404
