"""Import of departments and employees from CSV or XLSX: all rows or none.

Every row is validated first, against the database and against the other rows of the file
(a parent or manager may appear later in the same file). Only when no row has an error is
anything written, in one transaction, attributed to the importing user on the import channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.tabular import Row, TableError, read_table
from kehu.org.models import Department, Employee, Team

DEPARTMENT_COLUMNS = ["code", "name", "name_en", "parent_code", "description"]
EMPLOYEE_COLUMNS = [
    "employee_no",
    "name",
    "name_en",
    "email",
    "phone",
    "title",
    "department_code",
    "team",
    "manager_no",
    "is_away",
]
_TRUE = {"1", "true", "yes", "y", "是", "x"}
_FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass
class RowError:
    line: int
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _DryRunRollback(Exception):
    pass


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [
            (name, str(m))
            for name, errs in exc.error_dict.items()
            for e in errs
            for m in e.messages
        ]
    return [("", m) for m in exc.messages]


def _run(rows: list[Row], apply_row: Any, finish: Any, *, user: Any, dry_run: bool) -> ImportResult:
    """Apply each row inside one transaction; roll everything back on any error or a dry run."""
    result = ImportResult(dry_run=dry_run)
    try:
        with audit_context(channel=Channel.IMPORT, actor=user), transaction.atomic():
            for row in rows:
                try:
                    with transaction.atomic():
                        created = apply_row(row, result)
                except ValidationError as exc:
                    result.errors.extend(
                        RowError(row.line, col, msg) for col, msg in _messages(exc)
                    )
                    continue
                if created is True:
                    result.created += 1
                elif created is False:
                    result.updated += 1
            if not result.errors:
                finish(result)
            if result.errors or dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    if result.errors:
        result.created = result.updated = 0
    return result


def _upsert(model: type[Any], lookup: dict[str, Any], values: dict[str, Any]) -> bool:
    obj = model.objects.filter(**lookup).first()
    created = obj is None
    if obj is None:
        obj = model(**lookup)
    for name, value in values.items():
        setattr(obj, name, value)
    obj.full_clean(validate_unique=True)
    if not created:
        obj.version += 1
    obj.save()
    return created


def _link_rows(
    result: ImportResult,
    links: list[tuple[Row, str]],
    model: type[Any],
    *,
    key: str,
    link: str,
    column: str,
) -> None:
    """Second pass: point each row's object at another one named in the file or the database.

    Done after every row exists, so a row may refer to one further down the file; a link that
    breaks an invariant (a loop, say) is reported against the row that made it.
    """
    for row, target_key in links:
        obj = model.objects.get(**{key: row.values[key]})
        setattr(obj, link, model.objects.get(**{key: target_key}))
        try:
            obj.full_clean()
        except ValidationError as exc:
            result.errors.extend(RowError(row.line, column, m) for _c, m in _messages(exc))
            continue
        obj.save(update_fields=[link, "updated_at"])


def import_departments(
    *, filename: str, data: bytes, user: Any, dry_run: bool = False
) -> ImportResult:
    """Create or update departments by code; parent_code may name a department in the same file."""
    try:
        rows = read_table(filename, data, required=["code", "name"])
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)
    file_codes = {r.values.get("code", "") for r in rows}
    parents: list[tuple[Row, str]] = []
    seen: dict[str, int] = {}

    def apply_row(row: Row, result: ImportResult) -> bool | None:
        code = row.values.get("code", "")
        if code in seen:
            raise ValidationError(
                {
                    "code": _("Code %(code)s is also on line %(line)s.")
                    % {"code": code, "line": seen[code]}
                }
            )
        seen[code] = row.line
        parent_code = row.values.get("parent_code", "")
        if (
            parent_code
            and parent_code not in file_codes
            and not Department.objects.filter(code=parent_code).exists()
        ):
            raise ValidationError(
                {"parent_code": _("No department has the code %(code)s.") % {"code": parent_code}}
            )
        if parent_code:
            parents.append((row, parent_code))
        return _upsert(
            Department,
            {"code": code},
            {
                "name": row.values.get("name", ""),
                "name_en": row.values.get("name_en", ""),
                "description": row.values.get("description", ""),
            },
        )

    def finish(result: ImportResult) -> None:
        _link_rows(result, parents, Department, key="code", link="parent", column="parent_code")

    return _run(rows, apply_row, finish, user=user, dry_run=dry_run)


def import_employees(
    *, filename: str, data: bytes, user: Any, dry_run: bool = False
) -> ImportResult:
    """Create or update employees by employee_no; manager_no may name an employee in the same file."""
    try:
        rows = read_table(filename, data, required=["employee_no", "name", "department_code"])
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)
    file_numbers = {r.values.get("employee_no", "") for r in rows}
    departments = {d.code: d for d in Department.objects.all()}
    managers: list[tuple[Row, str]] = []
    seen: dict[str, int] = {}

    def apply_row(row: Row, result: ImportResult) -> bool | None:
        values = row.values
        number = values.get("employee_no", "")
        if number in seen:
            raise ValidationError(
                {
                    "employee_no": _("Employee number %(no)s is also on line %(line)s.")
                    % {"no": number, "line": seen[number]}
                }
            )
        seen[number] = row.line
        department = departments.get(values.get("department_code", ""))
        if department is None:
            raise ValidationError(
                {
                    "department_code": _("No department has the code %(code)s.")
                    % {"code": values.get("department_code", "")}
                }
            )
        away = values.get("is_away", "").lower()
        if away not in _TRUE | _FALSE:
            raise ValidationError({"is_away": _("Use yes or no.")})
        team = None
        if values.get("team"):
            team = Team.objects.filter(department=department, name=values["team"]).first()
            if team is None:
                team = Team(department=department, name=values["team"])
                team.full_clean()
                team.save()
        manager_no = values.get("manager_no", "")
        if (
            manager_no
            and manager_no not in file_numbers
            and not Employee.objects.filter(employee_no=manager_no).exists()
        ):
            raise ValidationError(
                {"manager_no": _("No employee has the number %(no)s.") % {"no": manager_no}}
            )
        if manager_no:
            managers.append((row, manager_no))
        return _upsert(
            Employee,
            {"employee_no": number},
            {
                "name": values.get("name", ""),
                "name_en": values.get("name_en", ""),
                "email": values.get("email", ""),
                "phone": values.get("phone", ""),
                "title": values.get("title", ""),
                "department": department,
                "team": team,
                "is_away": away in _TRUE,
            },
        )

    def finish(result: ImportResult) -> None:
        _link_rows(
            result, managers, Employee, key="employee_no", link="manager", column="manager_no"
        )

    return _run(rows, apply_row, finish, user=user, dry_run=dry_run)


IMPORTERS = {"departments": import_departments, "employees": import_employees}


def export_rows(kind: str) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for exporting ``kind`` in the same columns the importer reads."""
    if kind == "departments":
        departments = Department.objects.select_related("parent")
        return DEPARTMENT_COLUMNS, [
            [d.code, d.name, d.name_en, d.parent.code if d.parent else "", d.description]
            for d in departments
        ]
    employees = Employee.objects.select_related("department", "team", "manager")
    return EMPLOYEE_COLUMNS, [
        [
            e.employee_no,
            e.name,
            e.name_en,
            e.email,
            e.phone,
            e.title,
            e.department.code,
            e.team.name if e.team else "",
            e.manager.employee_no if e.manager else "",
            "yes" if e.is_away else "no",
        ]
        for e in employees
    ]
