import pytest

from kehu.audit.models import AuditEntry, Channel
from kehu.conftest import DepartmentFactory
from kehu.core.tabular import write_xlsx
from kehu.org.imports import export_rows, import_departments, import_employees
from kehu.org.models import Department, Employee

pytestmark = pytest.mark.django_db


def csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_departments_import_with_parent_later_in_the_file(world):
    data = csv("code,name,name_en,parent_code\nQA,测试部,QA,RND\nRND,研发部,R&D,\n")
    result = import_departments(filename="d.csv", data=data, user=world.admin)
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 0)
    assert Department.objects.get(code="QA").parent.code == "RND"
    entry = AuditEntry.objects.filter(object_repr__in=["测试部", "QA"]).first()
    assert entry.channel == Channel.IMPORT
    assert entry.actor == world.admin


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(world):
    data = csv(
        "code,name,parent_code\n"
        "OK1,好部门,\n"
        "bad code,坏代码,\n"  # line 3: invalid code
        "OK2,,\n"  # line 4: missing name
        "OK3,孤儿,NOPE\n"  # line 5: unknown parent
        "OK1,重复,\n"  # line 6: duplicate of line 2
    )
    result = import_departments(filename="d.csv", data=data, user=world.admin)
    assert not result.ok
    assert {(e.line, e.column) for e in result.errors} == {
        (3, "code"),
        (4, "name"),
        (5, "parent_code"),
        (6, "code"),
    }
    assert not Department.objects.filter(code__in=["OK1", "OK2", "OK3"]).exists()
    assert result.created == 0


def test_a_parent_cycle_in_the_file_is_refused_as_a_whole(world):
    data = csv("code,name,parent_code\nA,甲,B\nB,乙,A\n")
    result = import_departments(filename="d.csv", data=data, user=world.admin)
    assert not result.ok
    assert result.errors[0].column == "parent_code"
    assert not Department.objects.filter(code__in=["A", "B"]).exists()


def test_dry_run_reports_counts_but_writes_nothing(world):
    result = import_departments(
        filename="d.csv", data=csv("code,name\nNEW,新部门\n"), user=world.admin, dry_run=True
    )
    assert result.ok and result.created == 1 and result.dry_run
    assert not Department.objects.filter(code="NEW").exists()


def test_employees_import_from_xlsx_updates_existing_and_links_managers(world):
    DepartmentFactory(code="OPS")
    header = [
        "employee_no",
        "name",
        "name_en",
        "email",
        "department_code",
        "team",
        "manager_no",
        "is_away",
    ]
    rows = [
        ["E2", "李娜", "Li Na", "li@example.com", "OPS", "一组", "E1", "是"],
        ["E1", "张伟", "Zhang Wei", "", "OPS", "", "", "no"],
    ]
    result = import_employees(filename="e.xlsx", data=write_xlsx(header, rows), user=world.admin)
    assert result.ok, result.errors
    li = Employee.objects.get(employee_no="E2")
    assert li.manager.employee_no == "E1"
    assert li.is_away and li.team.name == "一组"

    again = import_employees(
        filename="e.xlsx",
        data=write_xlsx(header, [["E1", "张伟", "Wei Zhang", "", "OPS", "", "", ""]]),
        user=world.admin,
    )
    assert (again.created, again.updated) == (0, 1)
    assert Employee.objects.get(employee_no="E1").name_en == "Wei Zhang"


def test_employee_rows_with_unknown_department_or_bad_email_fail_with_columns(world):
    data = csv(
        "employee_no,name,department_code,email,is_away\nE9,王五,NOPE,,\nE10,赵六,AFTERSALES,not-an-email,maybe\n"
    )
    result = import_employees(filename="e.csv", data=data, user=world.admin)
    assert {(e.line, e.column) for e in result.errors} == {(2, "department_code"), (3, "is_away")}
    assert not Employee.objects.exists()


def test_export_has_the_import_columns_so_it_imports_back_unchanged(world):
    header, rows = export_rows("departments")
    assert header[:4] == ["code", "name", "name_en", "parent_code"]
    assert ["SUPPORT", "客户服务中心", "Support", "AFTERSALES", ""] in rows
