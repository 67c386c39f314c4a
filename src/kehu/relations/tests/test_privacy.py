"""Needs grid, erasure of a person's personal profile, data-subject export."""

import json

import pytest
from openpyxl import load_workbook

from kehu.audit.selectors import history_for
from kehu.conftest import client_for
from kehu.relations import services
from kehu.relations.models import Person
from kehu.relations.tests.factories import person, served_account

pytestmark = pytest.mark.django_db


def _profiled(world):
    served = served_account(world)
    someone = person(
        served.account,
        "王总",
        social_style="controlling",
        notes="喜欢打高尔夫",
        need_company_economic="降本 20%",
        need_personal_business="年底晋升",
        power="掌握预算",
        risk_orientation="保守",
        interests="高尔夫",
    )
    return served, someone


def test_the_needs_grid_shows_on_the_person_page(world):
    _served, someone = _profiled(world)
    page = client_for(world.account_manager).get(f"/relations/people/{someone.pk}/")
    html = page.content.decode()
    assert 'data-testid="needs-grid"' in html and "降本 20%" in html and "年底晋升" in html
    assert "掌握预算" in html


def test_company_needs_are_set_with_the_level_through_the_api(world):
    served = served_account(world)
    client = client_for(world.account_manager)
    done = client.put(
        f"/api/relations/accounts/{served.account.pk}/level",
        {"level": "general", "need_economic": "降低运维成本", "need_social": "行业口碑"},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["need_economic"] == "降低运维成本"


def test_erasure_clears_the_personal_profile_and_leaves_an_audited_record(world):
    served, someone = _profiled(world)
    client = client_for(world.account_manager)
    assert client.get(f"/relations/people/{someone.pk}/erase/").status_code == 405
    assert client.post(f"/relations/people/{someone.pk}/erase/").status_code == 302
    erased = Person.objects.get(pk=someone.pk)
    assert (erased.social_style, erased.notes, erased.need_personal_business) == ("", "", "")
    assert (erased.power, erased.risk_orientation, erased.interests) == ("", "", "")
    assert erased.need_company_economic == "降本 20%"  # the company's needs are not personal
    assert erased.profile_erased_at is not None and erased.profile_erased_by == served.owner
    entry = history_for(erased).first()
    assert "profile_erased_at" in entry.changes
    assert "喜欢打高尔夫" not in json.dumps(entry.changes, ensure_ascii=False)  # masked
    page = client.get(f"/relations/people/{someone.pk}/").content.decode()
    assert "was erased on request" in page


def test_a_data_subject_export_holds_everything_about_the_person(world):
    _served, someone = _profiled(world)
    services.role_set(person=someone, role="decision_maker", cares_about="稳定")
    client = client_for(world.account_manager)
    data = client.get(f"/relations/people/{someone.pk}/export.json").json()
    assert data["person"]["name"] == "王总"
    assert data["profile"]["interests"] == "高尔夫"
    assert data["buying_roles"] == [
        {"role": "decision_maker", "stance": "neutral", "cares_about": "稳定"}
    ]
    sheet = client.get(f"/relations/people/{someone.pk}/export.xlsx")
    rows = list(load_workbook(__import__("io").BytesIO(sheet.content)).active.values)
    assert ("profile", "interests", "高尔夫") in rows
    assert (
        client.get(f"/api/relations/people/{someone.pk}/export").json()["person"]["name"] == "王总"
    )
    # Nobody outside the team gets it.
    assert (
        client_for(world.employee).get(f"/relations/people/{someone.pk}/export.json").status_code
        == 404
    )
    assert (
        client_for(world.auditor).get(f"/api/relations/people/{someone.pk}/export").status_code
        == 404
    )
    assert client.get(f"/relations/people/{someone.pk}/export.pdf").status_code == 404
