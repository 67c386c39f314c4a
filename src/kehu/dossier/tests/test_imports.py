"""Import and export of dossier entries: dry run, per-row errors by line, all or nothing,
Chinese text both ways, and only dossier editors import."""

from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.conftest import client_for
from kehu.core.tabular import read_table, write_csv, write_xlsx
from kehu.dossier import services
from kehu.dossier.imports import COLUMNS, import_entries
from kehu.dossier.models import DossierEntry, Section


def _csv(rows):
    return write_csv(COLUMNS, rows)


def test_dry_run_checks_everything_and_writes_nothing(world, account):
    data = _csv(
        [
            [account.pk, "architecture", "", "", "架构", "使用我们的云主机", "2026-03-01", ""],
            ["华东电商有限公司", "current_event", "scale_out", "open", "扩容", "", "", "admin"],
        ]
    )
    result = import_entries(filename="d.csv", data=data, user=world.after_sales, dry_run=True)
    assert result.ok and result.created == 2
    assert not DossierEntry.objects.exists()


def test_import_creates_entries_with_chinese_text_and_authors(world, account):
    data = _csv(
        [
            [account.pk, "architecture", "", "", "架构", "同时使用阿里云的CDN", "2026-03-01", ""],
            [
                "East China Commerce",
                "Current events",
                "Scale-out",
                "In progress",
                "扩容",
                "",
                "",
                "admin",
            ],
            [
                account.name,
                "positive",
                "proactive_alert",
                "",
                "主动告警",
                "磁盘 92%",
                "2026/04/02",
                "",
            ],
        ]
    )
    result = import_entries(filename="d.csv", data=data, user=world.after_sales, dry_run=False)
    assert result.ok, result.errors
    assert result.created == 3
    event = DossierEntry.objects.get(section=Section.CURRENT_EVENT)
    assert (event.category, event.status, event.author) == ("scale_out", "in_progress", world.admin)
    architecture = DossierEntry.objects.get(section=Section.ARCHITECTURE)
    assert architecture.body == "同时使用阿里云的CDN" and architecture.author == world.after_sales
    assert architecture.revisions.count() == 1
    assert str(DossierEntry.objects.get(section=Section.POSITIVE).happened_on) == "2026-04-02"


def test_errors_name_their_line_and_column_and_nothing_is_imported(world, account):
    data = _csv(
        [
            [account.pk, "architecture", "", "", "好的一行", "", "2026-03-01", ""],
            ["没有这个客户", "architecture", "", "", "x", "", "", ""],
            [account.pk, "wiki", "", "", "x", "", "", ""],
            [account.pk, "base_notes", "", "", "x", "", "2026-13-45", "nobody"],
            [account.pk, "positive", "", "open", "", "", "", ""],
        ]
    )
    result = import_entries(filename="d.csv", data=data, user=world.after_sales, dry_run=False)
    assert not result.ok
    found = {(e.line, e.column) for e in result.errors}
    assert {(3, "account"), (4, "section"), (5, "happened_on"), (5, "author")} <= found
    assert (6, "status") in found and (6, "title") in found
    assert (2, "account") not in found
    assert result.created == 0
    assert not DossierEntry.objects.exists()


def test_rows_of_accounts_the_importer_may_not_edit_are_refused(world, account, manager_employee):
    data = _csv([[account.pk, "base_notes", "", "", "概况", "", "", ""]])
    result = import_entries(filename="d.csv", data=data, user=world.account_manager, dry_run=False)
    assert [(e.line, e.column) for e in result.errors] == [(2, "account")]
    assert not DossierEntry.objects.exists()


def test_an_unreadable_file_is_one_clear_error(world):
    result = import_entries(filename="d.pdf", data=b"%PDF", user=world.admin, dry_run=False)
    assert not result.ok and result.errors[0].line == 1
    result = import_entries(
        filename="d.csv", data=write_csv(["title"], [["x"]]), user=world.admin, dry_run=False
    )
    assert "account" in result.errors[0].message


def test_export_imports_back_unchanged_in_csv_and_xlsx(world, account):
    services.entry_create(
        account=account,
        actor=world.after_sales,
        section=Section.ARCHITECTURE,
        title="架构",
        body="=SUM(A1) 使用我们的云主机\n第二行",
    )
    services.entry_create(
        account=account,
        actor=world.after_sales,
        section=Section.CURRENT_EVENT,
        title="双十一重保",
        category="major_event_assurance",
    )
    client = client_for(world.after_sales)
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/dossier/export.{fmt}?account={account.pk}")
        assert response.status_code == 200
        rows = read_table(f"d.{fmt}", response.content, required=COLUMNS)
        assert {r.values["title"] for r in rows} == {"架构", "双十一重保"}
        assert any(r.values["body"] == "=SUM(A1) 使用我们的云主机\n第二行" for r in rows)
        result = import_entries(
            filename=f"d.{fmt}", data=response.content, user=world.after_sales, dry_run=False
        )
        assert result.ok and (result.created, result.updated) == (0, 2)
    assert DossierEntry.objects.count() == 2
    assert all(e.revisions.count() == 1 for e in DossierEntry.objects.all())


def test_export_of_everything_holds_only_readable_accounts(
    world, account, other_account, manager_employee
):
    services.entry_create(
        account=account, actor=world.admin, section=Section.BASE_NOTES, title="甲"
    )
    services.entry_create(
        account=other_account, actor=world.admin, section=Section.BASE_NOTES, title="乙"
    )
    other_account.owner = manager_employee
    other_account.save()
    content = client_for(world.account_manager).get("/dossier/export.xlsx").content
    rows = read_table("d.xlsx", content, required=COLUMNS)
    assert [r.values["title"] for r in rows] == ["乙"]
    assert (
        client_for(world.account_manager)
        .get(f"/dossier/export.csv?account={account.pk}")
        .status_code
        == 404
    )
    assert client_for(world.agent).get("/dossier/export.csv").status_code == 403
    assert client_for(world.customer_a).get("/dossier/export.csv").status_code == 403


def test_import_page_dry_run_and_permissions(world, account):
    upload = SimpleUploadedFile(
        "d.xlsx",
        write_xlsx(COLUMNS, [[account.pk, "base_notes", "", "", "概况", "中文内容", "", ""]]),
    )
    response = client_for(world.after_sales).post(
        "/dossier/import/", {"file": upload, "dry_run": "on"}
    )
    assert response.status_code == 200 and "Check passed" in response.content.decode()
    assert not DossierEntry.objects.exists()
    bad = SimpleUploadedFile("d.csv", _csv([["999999", "base_notes", "", "", "x", "", "", ""]]))
    response = client_for(world.after_sales).post("/dossier/import/", {"file": bad})
    assert response.status_code == 422 and "Nothing was imported" in response.content.decode()
    assert client_for(world.auditor).get("/dossier/import/").status_code == 403
    assert client_for(world.account_manager).get("/dossier/import/").status_code == 403
