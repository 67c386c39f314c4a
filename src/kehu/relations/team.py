"""Writes of the iron triangle (SPEC §4 point 8): the account team of one account manager (AR),
one solution manager (SR), one fulfilment manager (FR) and members.

The AR is the account's owner: naming another AR hands the account to them through
``customers.services.account_change_owner`` (ownership history and timeline), and an owner
change made elsewhere — above all a handover (kehu.handover) — moves the AR seat along
(``follow_owner``). When a handover starts for someone leaving or changing role, their SR, FR
and member seats are vacated and each triangle's AR is told to fill them (``vacate_seats``).
Every change is in the audit log (the model is registered with its members), and the seat
holders and members are kept on the account's team (customers.AccountTeamMember) so they see
the account's dossier and map.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.core.concurrency import save_if_current
from kehu.customers.models import Account, AccountTeamMember
from kehu.notify import notices
from kehu.org.models import Employee
from kehu.relations.models import SEAT_FIELDS, IronTriangle, TeamSeat

# Notification.event of the triangle's notices.
SEAT_VACANT_EVENT = "relations.seat_vacant"
# Roles written on customers.AccountTeamMember for the triangle's seats (free text there).
TEAM_ROLES = frozenset({TeamSeat.SR.value, TeamSeat.FR.value, TeamSeat.MEMBER.value})


def _user(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def _check(seats: dict[TeamSeat, Employee | None], members: list[Employee]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    held: dict[int, str] = {}
    for seat, employee in seats.items():
        field = SEAT_FIELDS[seat]
        if employee is None:
            errors[field].append(_("Choose who holds this seat."))
            continue
        if not employee.is_active:
            errors[field].append(_("%(employee)s is no longer active.") % {"employee": employee})
        if employee.pk in held:
            errors[field].append(
                _("%(employee)s already holds another seat: one person, one seat.")
                % {"employee": employee}
            )
        held[employee.pk] = seat
    for member in members:
        if member.pk in held:
            errors["members"].append(
                _("%(employee)s already holds a seat of the triangle.") % {"employee": member}
            )
        elif not member.is_active:
            errors["members"].append(_("%(employee)s is no longer active.") % {"employee": member})
    return errors


@transaction.atomic
def triangle_set(
    *,
    account: Account,
    account_manager: Employee | None,
    solution_manager: Employee | None,
    fulfilment_manager: Employee | None,
    members: Iterable[Employee] = (),
    by: Any,
    version: int | None = None,
) -> IronTriangle:
    """Name the account's AR, SR, FR and members (version of the current team once it exists;
    a stale one raises StaleVersionError). A new AR becomes the account's owner."""
    member_list = list({m.pk: m for m in members}.values())
    seats = {
        TeamSeat.AR: account_manager,
        TeamSeat.SR: solution_manager,
        TeamSeat.FR: fulfilment_manager,
    }
    errors = _check(seats, member_list)
    if errors:
        raise ValidationError(dict(errors))
    changes = {SEAT_FIELDS[seat]: employee for seat, employee in seats.items()}
    triangle = IronTriangle.objects.filter(account=account).first()
    if triangle is None:
        triangle = IronTriangle(account=account, **changes)
        triangle.full_clean()
        triangle.save()
    else:
        if version is None:
            raise ValidationError({"version": _("Send the version you read.")})
        triangle = save_if_current(triangle, expected_version=version, changes=changes)
    if {m.pk for m in triangle.members.all()} != {m.pk for m in member_list}:
        triangle.members.set(member_list)
    if account.owner_id != account_manager.pk:  # type: ignore[union-attr]
        from kehu.customers.services import account_change_owner

        account_change_owner(
            account=account,
            owner=account_manager,
            changed_by=_user(by),
            reason=_("Iron triangle: new account manager (AR)"),
        )
    _sync_team(triangle)
    return triangle


def _sync_team(triangle: IronTriangle) -> None:
    """Keep the SR, FR and members on the account's team (they see its dossier and map); the
    seats this triangle put there and no longer holds are taken off."""
    wanted: dict[int, str] = {m.pk: TeamSeat.MEMBER.value for m in triangle.members.all()}
    for seat in (TeamSeat.SR, TeamSeat.FR):
        holder_id = getattr(triangle, f"{SEAT_FIELDS[seat]}_id")
        if holder_id is not None:
            wanted[holder_id] = seat.value
    wanted.pop(triangle.account_manager_id, None)  # type: ignore[arg-type]  # the owner sees it
    current = {
        row.employee_id: row for row in AccountTeamMember.objects.filter(account=triangle.account)
    }
    for employee_id, row in current.items():
        if row.role in TEAM_ROLES and employee_id not in wanted:
            row.delete()
    for employee_id, role in wanted.items():
        held = current.get(employee_id)
        if held is None:
            AccountTeamMember.objects.create(
                account_id=triangle.account_id, employee_id=employee_id, role=role
            )
        elif held.role != role and (not held.role or held.role in TEAM_ROLES):
            held.role = role
            held.save(update_fields=["role"])


def follow_owner(*, account_id: int, owner_id: int | None) -> None:
    """The account changed owner (a handover, an edit of the account): the AR seat follows.
    If the new owner held another seat of the triangle, that seat is vacated."""
    triangle = IronTriangle.objects.select_for_update().filter(account_id=account_id).first()
    if triangle is None or triangle.account_manager_id == owner_id:
        return
    triangle.account_manager_id = owner_id
    for seat in (TeamSeat.SR, TeamSeat.FR):
        name = SEAT_FIELDS[seat]
        if owner_id is not None and getattr(triangle, f"{name}_id") == owner_id:
            setattr(triangle, f"{name}_id", None)
    triangle.version += 1
    triangle.save()
    if owner_id is not None:
        triangle.members.remove(owner_id)
    _sync_team(triangle)


def vacate_seats(*, employee: Employee) -> list[IronTriangle]:
    """``employee`` leaves (a handover started for them): their SR and FR seats fall vacant and
    their memberships end; each triangle's AR is asked to name a successor. (The AR seat moves
    with the account's owner, which the handover itself changes.)"""
    touched: dict[int, IronTriangle] = {}
    for seat in (TeamSeat.SR, TeamSeat.FR):
        name = SEAT_FIELDS[seat]
        for triangle in IronTriangle.objects.select_for_update().filter(**{name: employee}):
            triangle = touched.get(triangle.pk, triangle)
            setattr(triangle, name, None)
            triangle.version += 1
            triangle.save()
            touched[triangle.pk] = triangle
    for triangle in IronTriangle.objects.filter(members=employee):
        triangle.members.remove(employee)
        touched.setdefault(triangle.pk, triangle)
    for triangle in touched.values():
        _sync_team(triangle)
    _notify_vacant([t for t in touched.values() if t.vacant_seats], employee)
    return list(touched.values())


def _notify_vacant(triangles: list[IronTriangle], employee: Employee) -> None:
    if not triangles:
        return
    loaded = IronTriangle.objects.select_related("account", "account_manager__user").filter(
        pk__in=[t.pk for t in triangles]
    )
    wanted = []
    for triangle in loaded:
        if triangle.account_manager is None or triangle.account_manager.user is None:
            continue

        def text(user: Any, triangle: IronTriangle = triangle) -> tuple[str, str]:
            return (
                _("%(account)s: a seat of the iron triangle is vacant")
                % {"account": triangle.account},
                _("%(employee)s left the team. Name the successor for: %(seats)s.")
                % {
                    "employee": employee,
                    "seats": ", ".join(str(TeamSeat(s).label) for s in triangle.vacant_seats),
                },
            )

        wanted.append(
            (
                triangle.account_manager.user,
                reverse("relations:team", args=[triangle.account_id]),
                text,
            )
        )
    notices.notify(event=SEAT_VACANT_EVENT, notices=wanted)
