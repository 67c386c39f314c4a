"""Who actually takes work handed to an employee: them, or while away a key role's backup."""

from __future__ import annotations

from kehu.org.models import Employee, KeyRole


def effective_assignee(employee: Employee) -> Employee:
    """The person who actually takes the work: the employee, or while they are away the backup
    of a key role they hold (the first backup who is present)."""
    if not employee.is_currently_away:
        return employee
    for role in KeyRole.objects.filter(primary=employee).select_related("backup"):
        if role.backup is not None and not role.backup.is_currently_away:
            return role.backup
    return employee
