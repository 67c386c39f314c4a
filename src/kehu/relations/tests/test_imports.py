"""Import and export of an org map: all or nothing, errors per row and column."""

import io

import pytest
from openpyxl import load_workbook

from kehu.conftest import client_for
from kehu.core.tabular import write_csv, write_xlsx
from kehu.relations import imports
from kehu.relations.models import Person
from kehu.relations.tests.factories import person, served_account

pytestmark = pytest.mark.django_db
HEADER = ["name", "title", "department", "reports_to", "influence", "stage", "roles", "coach"]


def _csv(*rows):
    return write_csv(HEADER, rows)


def test_an_org_map_is_imported_with_managers_roles_and_stages(world):
    served = served_account(world)
    data = _csv(
        ["李总监", "IT 总监", "信息部", "王总", "4", "信赖", "选型者;评估者", ""],
        ["王总", "总经理", "", "", "5", "trust", "decision maker", "是"],
    )
    result = imports.import_map(
        account=served.account, filename="map.csv", data=data, user=world.account_manager
    )
    assert result.ok and result.created == 2
    boss = Person.objects.get(contact__name="王总")
    deputy = Person.objects.get(contact__name="李总监")
    assert deputy.reports_to == boss and deputy.stage == "trust" and boss.is_coach
    assert set(deputy.roles.values_list("role", flat=True)) == {"selector", "evaluator"}
    assert list(boss.roles.values_list("role", flat=True)) == ["decision_maker"]
    # The export imports back unchanged.
    header, rows = imports.export_map(served.account)
    again = imports.import_map(
        account=served.account,
        filename="map.xlsx",
        data=write_xlsx(header, rows),
        user=world.account_manager,
    )
    assert again.ok and again.updated == 2 and Person.objects.count() == 2


def test_broken_rows_change_nothing_and_name_row_and_column(world):
    served = served_account(world)
    data = _csv(
        ["甲", "", "", "乙", "9", "bff", "king", ""],
        ["乙", "", "", "甲", "", "", "", ""],
        ["丙", "", "", "无名氏", "", "", "", ""],
    )
    result = imports.import_map(
        account=served.account, filename="map.csv", data=data, user=world.account_manager
    )
    assert not result.ok
    found = {(e.line, e.column) for e in result.errors}
    assert {
        (2, "influence"),
        (2, "stage"),
        (2, "roles"),
        (2, "reports_to"),
        (4, "reports_to"),
    } <= found
    assert any("loop" in e.message for e in result.errors)
    assert not Person.objects.exists()


def test_a_loop_through_the_existing_map_is_refused(world):
    served = served_account(world)
    boss = person(served.account, "王总")
    person(served.account, "李总监", reports_to_id=boss.pk)
    result = imports.import_map(
        account=served.account,
        filename="map.csv",
        data=_csv(["王总", "", "", "李总监", "", "", "", ""]),
        user=world.account_manager,
    )
    assert not result.ok and "loop" in result.errors[0].message
    assert Person.objects.get(pk=boss.pk).reports_to is None


def test_a_swap_of_managers_in_one_file_is_applied(world):
    served = served_account(world)
    boss = person(served.account, "王总")
    person(served.account, "李总监", reports_to_id=boss.pk)
    result = imports.import_map(
        account=served.account,
        filename="map.csv",
        data=_csv(
            ["王总", "", "", "李总监", "", "", "", ""], ["李总监", "", "", "", "", "", "", ""]
        ),
        user=world.account_manager,
    )
    assert result.ok, result.errors
    assert Person.objects.get(pk=boss.pk).reports_to.contact.name == "李总监"


def test_errors_read_in_chinese_and_the_pages_and_api_work(world):
    served = served_account(world)
    world.account_manager.language = "zh-hans"
    world.account_manager.save()
    client = client_for(world.account_manager)
    bad = io.BytesIO(_csv(["甲", "", "", "", "", "好朋友", "", ""]))
    bad.name = "map.csv"
    page = client.post(
        f"/relations/accounts/{served.account.pk}/import/",
        {"file": bad, "dry_run": ""},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert page.status_code == 422 and "不是关系阶段" in page.content.decode()
    good = io.BytesIO(_csv(["甲", "经理", "", "", "3", "meeting", "", ""]))
    good.name = "map.csv"
    api = client.post(f"/api/relations/accounts/{served.account.pk}/import", {"file": good})
    assert api.status_code == 200 and api.json()["created"] == 1
    sheet = client.get(f"/relations/accounts/{served.account.pk}/export.xlsx")
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.values)
    assert rows[1][:2] == ("甲", "经理")
    assert (
        client.get(f"/api/relations/accounts/{served.account.pk}/map-rows").json()[0]["stage"]
        == "meeting"
    )
    assert (
        client_for(world.employee)
        .get(f"/relations/accounts/{served.account.pk}/export.xlsx")
        .status_code
        == 404
    )
