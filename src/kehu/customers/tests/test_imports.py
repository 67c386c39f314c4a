import pytest

from kehu.conftest import EmployeeFactory, client_for
from kehu.core.tabular import write_csv, write_xlsx
from kehu.customers import imports
from kehu.customers.models import Account, Contact, CustomField, Ownership
from kehu.customers.tests.factories import account, contact

HEADER = [
    "name",
    "name_en",
    "kind",
    "parent",
    "owner_no",
    "level",
    "credit_limit",
    "currency",
    "customer_since",
    "industry",
    "region",
    "website",
    "tags",
    "credit_rating",
]


@pytest.fixture
def rating(db):
    return CustomField.objects.create(
        code="credit_rating", label="信用评级", kind="choice", choices=["AAA", "AA"]
    )


def csv_of(rows, header=HEADER):
    return write_csv(header, rows)


def test_dry_run_lists_actions_and_writes_nothing(world, rating):
    owner = EmployeeFactory(department=world.aftersales, employee_no="S001")
    data = csv_of(
        [
            [
                "成都启明数据有限公司",
                "Chengdu Qiming Data",
                "company",
                "四川集团",
                "S001",
                "key",
                "1,000,000",
                "cny",
                "2020-05-01",
                "软件",
                "四川",
                "qiming.cn",
                "重点保障；政企",
                "AAA",
            ],
            [
                "四川集团",
                "Sichuan Group",
                "",
                "",
                "",
                "strategic",
                "",
                "",
                "",
                "",
                "四川",
                "",
                "",
                "",
            ],
        ]
    )
    result = imports.import_accounts(filename="a.csv", data=data, user=world.admin, dry_run=True)
    assert result.ok, result.errors
    assert [(a.line, a.action) for a in result.actions] == [(2, "create"), (3, "create")]
    assert not Account.objects.exists()
    result = imports.import_accounts(filename="a.csv", data=data, user=world.admin)
    assert result.created == 2
    created = Account.objects.get(name="成都启明数据有限公司")
    assert created.parent.name == "四川集团" and created.owner == owner
    assert created.level == "key" and str(created.credit_limit) == "1000000.00"
    assert created.credit_currency == "CNY"
    assert sorted(t.name for t in created.tags.all()) == ["政企", "重点保障"]
    assert created.custom_fields == {"credit_rating": "AAA"}
    assert Ownership.objects.filter(account=created, owner=owner).exists()


def test_errors_have_line_numbers_and_nothing_is_imported(world, rating):
    account("北京蓝鲸科技有限公司")
    data = csv_of(
        [
            ["好公司", "", "", "", "", "", "", "", "", "", "", "", "", ""],
            ["坏公司", "", "", "", "X9", "gold", "-5", "", "2020-13-01", "", "", "", "", "B"],
            ["好公司有限公司", "", "", "", "", "", "", "", "", "", "", "", "", ""],
            ["北京蓝鲸科技", "", "", "无此集团", "", "", "", "", "", "", "", "", "", ""],
        ]
    )
    result = imports.import_accounts(filename="a.csv", data=data, user=world.admin)
    assert not result.ok
    lines = {(e.line, e.column) for e in result.errors}
    assert (3, "owner_no") in lines
    assert (4, "name") in lines  # the same customer as line 2
    assert (5, "parent") in lines
    assert not Account.objects.filter(name="好公司").exists()


def test_row_errors_for_bad_values(world, rating):
    data = csv_of([["坏公司", "", "", "", "", "gold", "-5", "", "2020-13-01", "", "", "", "", "B"]])
    result = imports.import_accounts(filename="a.csv", data=data, user=world.admin)
    columns = {e.column for e in result.errors}
    assert {"level"} <= columns and all(e.line == 2 for e in result.errors)


def test_duplicate_of_the_database_needs_allow_duplicate(world, rating):
    account("北京蓝鲸科技有限公司")
    header = ["name", "allow_duplicate"]
    refused = imports.import_accounts(
        filename="a.csv", data=csv_of([["北京蓝鲸科技", ""]], header), user=world.admin
    )
    assert (
        refused.errors
        and refused.errors[0].line == 2
        and "北京蓝鲸科技有限公司" in refused.errors[0].message
    )
    allowed = imports.import_accounts(
        filename="a.csv", data=csv_of([["北京蓝鲸科技", "yes"]], header), user=world.admin
    )
    assert allowed.ok and allowed.created == 1


def test_contacts_import_duplicates_and_update(world):
    acc = account("深圳云帆物流有限公司")
    other = account("别家")
    contact(other, "旧人", email="taken@x.cn")
    header = imports.CONTACT_COLUMNS
    bad = imports.import_contacts(
        filename="c.csv",
        data=csv_of(
            [
                [
                    "深圳云帆物流有限公司",
                    "张伟",
                    "zw@yunfan.cn",
                    "+86 138-0000-0000",
                    "CTO",
                    "zh-hans",
                    "phone",
                ],
                ["深圳云帆物流有限公司", "张伟2", "ZW@yunfan.cn", "13800000000", "", "", ""],
                ["深圳云帆物流有限公司", "某人", "TAKEN@x.cn", "", "", "", ""],
                ["不存在", "某人", "", "", "", "", ""],
            ],
            header,
        ),
        user=world.admin,
    )
    assert {(e.line, e.column) for e in bad.errors} >= {
        (3, "email"),
        (3, "phone"),
        (4, "email"),
        (5, "account"),
    }
    assert not Contact.objects.filter(account=acc).exists()
    good = imports.import_contacts(
        filename="c.csv",
        data=csv_of(
            [["深圳云帆物流有限公司", "张伟", "zw@yunfan.cn", "13800000000", "CTO", "en", "email"]],
            header,
        ),
        user=world.admin,
    )
    assert good.ok and good.created == 1
    again = imports.import_contacts(
        filename="c.csv",
        data=csv_of(
            [["深圳云帆物流有限公司", "张伟", "ZW@yunfan.cn", "13800000000", "CIO", "", ""]], header
        ),
        user=world.admin,
    )
    assert again.updated == 1 and Contact.objects.get(account=acc).role == "CIO"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_chinese_round_trip_through_export(world, rating, fmt):
    acc = account(
        "广州星河传媒有限公司",
        name_en="=Galaxy Media",
        region="广东",
        custom_fields={"credit_rating": "AA"},
    )
    contact(acc, "陈静", email="cj@galaxy.cn", phone="+86 139 0000 0000", role="市场总监")
    client = client_for(world.after_sales)
    accounts_file = client.get(f"/customers/accounts/export/?format={fmt}")
    contacts_file = client.get(f"/customers/contacts/export/?format={fmt}")
    assert accounts_file.status_code == contacts_file.status_code == 200
    if fmt == "csv":
        assert accounts_file.content.startswith("\ufeff".encode())
        assert "'=Galaxy Media" in accounts_file.content.decode("utf-8-sig")  # no formula
    Contact.objects.all().delete()
    Account.objects.all().delete()
    result = imports.import_accounts(
        filename=f"a.{fmt}", data=accounts_file.content, user=world.admin
    )
    assert result.ok, result.errors
    result = imports.import_contacts(
        filename=f"c.{fmt}", data=contacts_file.content, user=world.admin
    )
    assert result.ok, result.errors
    back = Account.objects.get(name="广州星河传媒有限公司")
    assert back.name_en == "=Galaxy Media" and back.region == "广东"
    assert back.custom_fields == {"credit_rating": "AA"}
    person = Contact.objects.get(account=back)
    assert (person.name, person.role, person.phone_key) == ("陈静", "市场总监", "+8613900000000")


def test_xlsx_import_and_the_page(world, rating):
    data = write_xlsx(["name", "name_en"], [["西安远景能源有限公司", "Xi'an Vista Energy"]])
    client = client_for(world.account_manager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client.post(
        "/customers/accounts/import/",
        {"file": SimpleUploadedFile("a.xlsx", data), "dry_run": "on"},
    )
    assert page.status_code == 200 and "西安远景能源有限公司" in page.content.decode()
    assert not Account.objects.exists()
    page = client.post("/customers/accounts/import/", {"file": SimpleUploadedFile("a.xlsx", data)})
    assert page.status_code == 200 and Account.objects.count() == 1
    assert client_for(world.agent).get("/customers/accounts/import/").status_code == 403
