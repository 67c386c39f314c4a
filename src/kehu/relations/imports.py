"""Import and export of an account's org map (CSV or XLSX), on the project's import machinery
(``core.tabular`` and ``customers.imports``' result rows): all rows or none.

Columns: name (required), title, department, reports_to (a name in the file or already on the
map), influence (1–5), stage and roles (codes or their English or Chinese labels; roles
separated by ``;``, ``,`` or ``、``), coach (yes/是). A contact of the account with that name is
put on the map (created if the account has none); a person already on the map is updated —
their stage through a dated stage change. Every row is checked first, against the map and the
other rows (unknown stage or role, a manager nowhere to be found, a reporting loop, the same
name twice); any error and nothing is kept.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.audit.context import audit_context
from kehu.audit.models import Channel
from kehu.core.tabular import Row, TableError, read_table
from kehu.customers.imports import ImportResult, RowAction, RowError
from kehu.customers.models import Account, Contact
from kehu.relations import services
from kehu.relations.models import BuyingRole, BuyingRoleKind, Person, Stage

COLUMNS = ["name", "title", "department", "reports_to", "influence", "stage", "roles", "coach"]
_YES = {"1", "true", "yes", "y", "是", "x", "√"}
_SPLIT = re.compile(r"[;,，；、|]")


def _lookup(choices: Any) -> dict[str, str]:
    """Value → code for the codes and their labels in English and Chinese, lower-cased."""
    found: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices.choices:
                found[str(label).strip().lower()] = value
                found[value] = value
    return found


class _Rollback(Exception):
    pass


def import_map(
    *, account: Account, filename: str, data: bytes, user: Any, dry_run: bool = False
) -> ImportResult:
    try:
        rows = read_table(filename, data, required=["name"])
    except TableError as exc:
        return ImportResult(errors=[RowError(1, "", str(exc))], dry_run=dry_run)
    stages, roles = _lookup(Stage), _lookup(BuyingRoleKind)
    existing = {
        p.contact.name: p
        for p in Person.objects.filter(account=account).select_related("contact", "reports_to")
    }
    contacts = {c.name: c for c in Contact.objects.filter(account=account).order_by("pk")}
    result = ImportResult(dry_run=dry_run)
    parsed: list[tuple[Row, dict[str, Any]]] = []
    lines: dict[str, int] = {}
    for row in rows:
        values, errors = _parse(row, stages, roles)
        name = values["name"]
        if name in lines:
            errors.append(
                ("name", _("The same person as on line %(line)s.") % {"line": lines[name]})
            )
        lines.setdefault(name, row.line)
        result.errors += [RowError(row.line, column, message) for column, message in errors]
        parsed.append((row, values))
    # Managers: in the file or on the map; the final reporting lines must have no loop.
    manager_of = {name: p.reports_to.contact.name for name, p in existing.items() if p.reports_to}
    for row, values in parsed:
        if values["reports_to"] is not None:
            manager_of.pop(values["name"], None)
            if values["reports_to"]:
                manager_of[values["name"]] = values["reports_to"]
                if values["reports_to"] not in lines and values["reports_to"] not in existing:
                    result.errors.append(
                        RowError(
                            row.line,
                            "reports_to",
                            _("“%(name)s” is neither in the file nor on the map.")
                            % {"name": values["reports_to"]},
                        )
                    )
    for row, values in parsed:
        seen, current = {values["name"]}, manager_of.get(values["name"])
        while current is not None:
            if current in seen:
                result.errors.append(
                    RowError(
                        row.line,
                        "reports_to",
                        _("This would make a reporting loop through %(name)s.") % {"name": current},
                    )
                )
                break
            seen.add(current)
            current = manager_of.get(current)
    if result.errors:
        result.errors.sort(key=lambda e: e.line)
        return result
    try:
        with audit_context(channel=Channel.IMPORT, actor=user), transaction.atomic():
            _apply(account, parsed, existing, contacts, user, result)
            if result.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    result.errors.sort(key=lambda e: e.line)
    return result


def _parse(
    row: Row, stages: dict[str, str], roles: dict[str, str]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    v = row.values
    errors: list[tuple[str, str]] = []
    name = v.get("name", "").strip()
    if not name:
        errors.append(("name", _("The name is empty.")))
    out: dict[str, Any] = {
        "name": name,
        "title": v.get("title", "")[:200],
        "department": v.get("department", "")[:200],
        "reports_to": v["reports_to"].strip() if "reports_to" in v else None,
        "influence": None,
        "stage": None,
        "roles": None,
        "coach": None,
    }
    raw = v.get("influence", "").strip()
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= 5:
            out["influence"] = int(raw)
        else:
            errors.append(("influence", _("Influence is a whole number from 1 to 5.")))
    raw = v.get("stage", "").strip()
    if raw:
        if raw.lower() in stages:
            out["stage"] = stages[raw.lower()]
        else:
            errors.append(("stage", _("“%(value)s” is not a relationship stage.") % {"value": raw}))
    if "roles" in v:
        found = []
        for part in filter(None, (p.strip() for p in _SPLIT.split(v["roles"]))):
            if part.lower() in roles:
                found.append(roles[part.lower()])
            else:
                errors.append(("roles", _("“%(value)s” is not a buying role.") % {"value": part}))
        out["roles"] = found
    if v.get("coach", "").strip():
        out["coach"] = v["coach"].strip().lower() in _YES
    if out["reports_to"] == name and name:
        errors.append(("reports_to", _("A person cannot report to themselves.")))
    return out, errors


def _apply(
    account: Account,
    parsed: list[tuple[Row, dict[str, Any]]],
    existing: dict[str, Person],
    contacts: dict[str, Contact],
    user: Any,
    result: ImportResult,
) -> None:
    people = dict(existing)
    for row, values in parsed:
        name = values["name"]
        person = people.get(name)
        fields = {"title": values["title"], "department": values["department"]}
        if values["influence"] is not None:
            fields["influence"] = values["influence"]
        if values["coach"] is not None:
            fields["is_coach"] = values["coach"]
        try:
            if person is None:
                contact = contacts.get(name) or Contact.objects.create(account=account, name=name)
                person = services.person_create(
                    account=account,
                    contact=contact,
                    by=user,
                    stage=values["stage"] or Stage.ACQUAINTANCE,
                    **fields,
                )
                result.actions.append(RowAction(row.line, "create", name))
            else:
                person = services.person_update(person=person, version=person.version, **fields)
                if values["stage"] and values["stage"] != person.stage:
                    services.stage_change(
                        person=person,
                        version=person.version,
                        to_stage=values["stage"],
                        by=user,
                        reason=_("Imported."),
                    )
                    person.refresh_from_db()
                result.actions.append(RowAction(row.line, "update", name))
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                result.errors += [RowError(row.line, column, m) for m in messages]
            continue
        people[name] = person
    if result.errors:
        return
    # Reporting lines: first take away every line that changes, then draw the new ones — each
    # step is then part of the final chart, which was checked to have no loop.
    moving = []
    for row, values in parsed:
        person = Person.objects.get(pk=people[values["name"]].pk)
        if values["reports_to"] is not None:
            manager = people.get(values["reports_to"]) if values["reports_to"] else None
            if person.reports_to_id != (manager.pk if manager else None):
                if person.reports_to_id is not None:
                    person = services.person_update(
                        person=person, version=person.version, reports_to_id=None
                    )
                if manager is not None:
                    moving.append((row, person, manager))
        if values["roles"] is not None:
            held = set(BuyingRole.objects.filter(person=person).values_list("role", flat=True))
            for role in set(values["roles"]) - held:
                services.role_set(person=person, role=role)
            for role in held - set(values["roles"]):
                services.role_remove(person=person, role=role)
    for row, person, manager in moving:
        try:
            services.person_update(person=person, version=person.version, reports_to_id=manager.pk)
        except ValidationError as exc:
            for column, messages in exc.message_dict.items():
                result.errors += [RowError(row.line, column, m) for m in messages]


def export_map(account: Account) -> tuple[list[str], list[list[Any]]]:
    """The map as rows of the import's columns (an export imports back unchanged)."""
    people = list(
        Person.objects.filter(account=account)
        .select_related("contact", "reports_to__contact")
        .prefetch_related("roles")
        .order_by("pk")
    )
    rows = [
        [
            p.contact.name,
            p.title,
            p.department,
            p.reports_to.contact.name if p.reports_to else "",
            p.influence,
            p.stage,
            ";".join(sorted(r.role for r in p.roles.all())),
            "yes" if p.is_coach else "",
        ]
        for p in people
    ]
    return COLUMNS, rows
