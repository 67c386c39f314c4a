"""Reads of the relationship map: an account's map in a fixed number of queries, the five steps
of building the relationship (seed 004) and the coverage gaps, computed from the data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Max, Prefetch, Q, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Account
from kehu.relations.models import (
    KEY_ROLES,
    NEED_FIELDS,
    SEAT_FIELDS,
    STAGE_ORDER,
    AccountRelationship,
    BuyingRole,
    BuyingRoleKind,
    Interaction,
    IronTriangle,
    Person,
    RelationshipLevel,
    Stage,
    TeamSeat,
)

RECENT_INTERACTIONS = 20
QUIET_DAYS = 60  # a key person without an interaction for this long is a gap


@dataclass
class MapNode:
    person: Person
    depth: int


@dataclass
class Step:
    number: int
    title: Promise
    done: bool
    missing: list[str] = field(default_factory=list)


@dataclass
class AccountMap:
    account: Account
    people: list[Person]
    tree: list[MapNode]
    level: AccountRelationship | None
    interactions: list[Interaction]
    last_contact: dict[int, date]
    by_stage: dict[str, int]
    coaches: list[Person]
    holders: dict[str, list[tuple[Person, BuyingRole]]]
    steps: list[Step]
    gaps: list[str]

    @property
    def current_step(self) -> Step | None:
        return next((step for step in self.steps if not step.done), None)


def _tree(people: list[Person]) -> list[MapNode]:
    """Depth-first order under each top person (a person whose manager is not on the map)."""
    by_id = {p.pk: p for p in people}
    children: dict[int | None, list[Person]] = {}
    for person in people:
        parent = person.reports_to_id if person.reports_to_id in by_id else None
        children.setdefault(parent, []).append(person)
    nodes: list[MapNode] = []
    stack = [(p, 0) for p in reversed(children.get(None, []))]
    seen: set[int] = set()
    while stack:
        person, depth = stack.pop()
        if person.pk in seen:  # refused on write; kept safe on read all the same
            continue
        seen.add(person.pk)
        nodes.append(MapNode(person, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(person.pk, [])))
    return nodes


# The personal profile's free texts: the chart, the panel and the dashboard show none of them.
_NOT_CHARTED = ("notes", *NEED_FIELDS, "power", "risk_orientation", "interests")


def account_map(
    account: Account,
    *,
    today: date | None = None,
    quiet_days: int = QUIET_DAYS,
    profiles: bool = True,
) -> AccountMap:
    """The account's map: people (with contact, roles), level, recent interactions:
    5 queries whatever the size. ``profiles=False`` leaves the people's free-text profile
    fields unloaded (for pages that show only the chart and the figures)."""
    found = Person.objects.filter(account=account)
    if not profiles:
        found = found.defer(*_NOT_CHARTED)
    people: list[Person] = list(
        found.select_related("contact")
        .prefetch_related(
            Prefetch("roles", queryset=BuyingRole.objects.select_related("covered_by"))
        )
        .order_by("pk")
    )
    holders: dict[str, list[tuple[Person, BuyingRole]]] = {}
    for person in people:
        person.role_list = list(person.roles.all())  # type: ignore[attr-defined]
        for role in person.role_list:  # type: ignore[attr-defined]
            holders.setdefault(role.role, []).append((person, role))
    # Each person's latest interaction: one grouped query over the attendance rows.
    last_contact: dict[int, date] = dict(
        Interaction.people.through.objects.filter(interaction__account=account)
        .values("person_id")
        .annotate(last=Max("interaction__occurred_on"))
        .values_list("person_id", "last")  # type: ignore[misc]
    )
    level = AccountRelationship.objects.filter(account=account).first()
    interactions = list(
        Interaction.objects.filter(account=account)
        .select_related("recorded_by")
        .prefetch_related(Prefetch("people", queryset=Person.objects.select_related("contact")))
        .order_by("-occurred_on", "-pk")[:RECENT_INTERACTIONS]
    )
    by_stage = dict.fromkeys(Stage.values, 0)
    for person in people:
        by_stage[person.stage] += 1
    result = AccountMap(
        account=account,
        people=people,
        tree=_tree(people),
        level=level,
        interactions=interactions,
        last_contact=last_contact,
        by_stage=by_stage,
        coaches=[p for p in people if p.is_coach],
        holders=holders,
        steps=[],
        gaps=[],
    )
    result.steps = five_steps(result)
    result.gaps = coverage_gaps(result, today=today or timezone.localdate(), quiet_days=quiet_days)
    return result


def _holders(data: AccountMap, role: str) -> list[tuple[Person, BuyingRole]]:
    return data.holders.get(role, [])


def five_steps(data: AccountMap) -> list[Step]:
    """Seed 004's five steps, each done or with what is missing; a step counts only once the
    ones before it are done."""
    people = data.people
    key_roles = [(p, r) for role in KEY_ROLES for p, r in _holders(data, role)]
    missing: list[list[str]] = [[], [], [], [], []]
    if not people:
        missing[0].append(str(_("Put the customer's people on the map.")))
    if not data.last_contact:
        missing[0].append(str(_("Record a first interaction with the customer's people.")))
    for kind in KEY_ROLES:
        if not _holders(data, kind):
            missing[1].append(
                str(_("Find out who is the %(role)s.") % {"role": BuyingRoleKind(kind).label})
            )
    for person, role in key_roles:
        if not role.cares_about.strip():
            missing[1].append(
                str(
                    _("Note what %(person)s cares about as %(role)s.")
                    % {"person": person.contact.name, "role": role.get_role_display()}
                )
            )
    if not any(p.is_coach and p.coach_evidence_complete for p in people):
        missing[2].append(str(_("Connect a coach, with evidence for the three traits.")))
    for person, role in key_roles:
        if role.covered_by_id is None:
            missing[3].append(
                str(
                    _("Name who of us covers %(person)s (%(role)s).")
                    % {"person": person.contact.name, "role": role.get_role_display()}
                )
            )
        if STAGE_ORDER[person.stage] < STAGE_ORDER[Stage.TRUST]:
            missing[3].append(
                str(_("Build trust with %(person)s.") % {"person": person.contact.name})
            )
    if data.level is None or data.level.level != RelationshipLevel.ORGANISATIONAL:
        missing[4].append(str(_("Reach an organisational relationship, with evidence.")))
    titles = [
        _("Organisation map and general relationships"),
        _("Pain points, buying process and entry criteria"),
        _("Connect a coach"),
        _("Value points and division of labour per key role"),
        _("Organisational relationship"),
    ]
    steps = []
    before_done = True
    for number, (title, lacking) in enumerate(zip(titles, missing, strict=True), start=1):
        done = before_done and not lacking
        steps.append(Step(number, title, done, lacking))
        before_done = done
    return steps


def coverage_gaps(data: AccountMap, *, today: date, quiet_days: int = QUIET_DAYS) -> list[str]:
    """What the account manager should fix in the coverage of the buying roles."""
    people = data.people
    gaps: list[str] = []
    if not any(p.is_coach for p in people):
        gaps.append(str(_("No coach.")))
    for person in people:
        if person.coach_lapsed:
            gaps.append(
                str(
                    _("The coach evidence of %(person)s is incomplete.")
                    % {"person": person.contact.name}
                )
            )
    deciders = _holders(data, BuyingRoleKind.DECISION_MAKER)
    if not deciders:
        gaps.append(str(_("Decision maker unknown.")))
    for person, _role in deciders:
        if STAGE_ORDER[person.stage] < STAGE_ORDER[Stage.TRUST]:
            gaps.append(
                str(
                    _("Decision maker %(person)s is below trust.") % {"person": person.contact.name}
                )
            )
    if not _holders(data, BuyingRoleKind.ACCEPTOR):
        gaps.append(str(_("Acceptor unknown.")))
    since = today - timedelta(days=quiet_days)
    decider_ids = {p.pk for p, _r in deciders}
    for person in people:
        if person.influence >= 4 or person.pk in decider_ids:
            last = data.last_contact.get(person.pk)
            if last is None or last < since:
                gaps.append(
                    str(
                        _("No interaction with %(person)s for %(days)s days.")
                        % {"person": person.contact.name, "days": quiet_days}
                    )
                )
    return gaps


def role_matrix(data: AccountMap) -> list[tuple[str, dict[str, int]]]:
    """Buying roles × stage: how many holders of each role stand at each stage."""
    rows = []
    for role in BuyingRoleKind:
        counts = dict.fromkeys(Stage.values, 0)
        for person, _r in _holders(data, role):
            counts[person.stage] += 1
        rows.append((str(role.label), counts))
    return rows


def iron_triangle(account: Account | int) -> IronTriangle | None:
    """The account's iron triangle — ``.ar``, ``.sr``, ``.fr`` (org.Employee, None while a seat
    is vacant) and ``.members.all()`` — or None when the account has no team yet. Two queries."""
    account_id = account if isinstance(account, int) else account.pk
    return (
        IronTriangle.objects.select_related(
            "account_manager", "solution_manager", "fulfilment_manager"
        )
        .prefetch_related("members")
        .filter(account_id=account_id)
        .first()
    )


@dataclass
class TicketState:
    open: int
    breached: int
    at_risk: int
    resolved_recently: int
    urgent: list[Any]


@dataclass
class UsageState:
    open_alerts: int
    last_30_days: Decimal
    previous_30_days: Decimal


@dataclass
class TeamDashboard:
    account: Account
    triangle: IronTriangle | None
    credited: list[tuple[str, Any]]
    tickets: TicketState
    complaints_open: int
    complaints_last_year: int
    usage: UsageState
    relationship: AccountMap


URGENT_TICKETS = 10


def credited_to(triangle: IronTriangle | None) -> list[tuple[str, Any]]:
    """Who the account's results are credited to: all three seats of the triangle, each one."""
    if triangle is None:
        return []
    return [
        (str(TeamSeat(seat).label), getattr(triangle, name))
        for seat, name in SEAT_FIELDS.items()
        if getattr(triangle, f"{name}_id") is not None
    ]


def ticket_state(account: Account, *, now: datetime | None = None) -> TicketState:
    """The account's tickets and their SLA: two queries."""
    from kehu.desk.models import OPEN_STATUSES, Ticket

    now = now or timezone.now()
    open_q = Q(status__in=OPEN_STATUSES)
    figures = Ticket.objects.filter(account=account).aggregate(
        open=Count("pk", filter=open_q),
        breached=Count("pk", filter=open_q & Q(sla_breached=True)),
        at_risk=Count("pk", filter=open_q & Q(sla_breached=False, next_warn_at__lte=now)),
        resolved=Count("pk", filter=Q(resolved_at__gte=now - timedelta(days=90))),
    )
    urgent = list(
        Ticket.objects.filter(account=account, status__in=OPEN_STATUSES)
        .select_related("department")
        .order_by(F("next_due_at").asc(nulls_last=True), "pk")[:URGENT_TICKETS]
    )
    return TicketState(
        figures["open"], figures["breached"], figures["at_risk"], figures["resolved"], urgent
    )


def team_dashboard(account: Account, *, today: date | None = None) -> TeamDashboard:
    """The triangle's shared dashboard: its team, the account's tickets and SLA, complaints,
    usage and relationship coverage, in a fixed number of queries."""
    from kehu.desk.models import OPEN_STATUSES, Ticket
    from kehu.usage.models import SwingAlert, UsageRecord

    today = today or timezone.localdate()
    triangle = iron_triangle(account)
    complaints = Ticket.objects.filter(account=account, ticket_type="complaint").aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        year=Count("pk", filter=Q(created_at__date__gte=today - timedelta(days=365))),
    )
    usage = UsageRecord.objects.filter(
        account=account, day__gt=today - timedelta(days=60)
    ).aggregate(
        recent=Sum("quantity", filter=Q(day__gt=today - timedelta(days=30))),
        before=Sum("quantity", filter=Q(day__lte=today - timedelta(days=30))),
    )
    open_alerts = SwingAlert.objects.filter(account=account, status=SwingAlert.Status.OPEN).count()
    return TeamDashboard(
        account=account,
        triangle=triangle,
        credited=credited_to(triangle),
        tickets=ticket_state(account),
        complaints_open=complaints["open"],
        complaints_last_year=complaints["year"],
        usage=UsageState(open_alerts, usage["recent"] or Decimal(0), usage["before"] or Decimal(0)),
        relationship=account_map(account, today=today, profiles=False),
    )


def person_export(person: Person) -> dict[str, Any]:
    """Everything the map holds about one person, for a data-subject request: the contact's
    name, the profile, buying roles, stage history and the interactions they attended."""
    fields = [
        "title",
        "department",
        "influence",
        "stage",
        "social_style",
        "notes",
        "is_coach",
        "coach_influence",
        "coach_informed",
        "coach_win_win",
        *NEED_FIELDS,
        "power",
        "risk_orientation",
        "interests",
    ]
    profile: dict[str, Any] = {name: getattr(person, name) for name in fields}
    profile["reports_to"] = person.reports_to.contact.name if person.reports_to else None
    profile["profile_erased_at"] = (
        person.profile_erased_at.isoformat() if person.profile_erased_at else None
    )
    return {
        "person": {
            "id": person.pk,
            "name": person.contact.name,
            "email": person.contact.email,
            "phone": person.contact.phone,
            "account": person.account.name,
        },
        "profile": profile,
        "buying_roles": [
            {"role": r.role, "stance": r.stance, "cares_about": r.cares_about}
            for r in person.roles.all()
        ],
        "stage_changes": [
            {
                "date": c.changed_on.isoformat(),
                "from": c.from_stage,
                "to": c.to_stage,
                "reason": c.reason,
            }
            for c in person.stage_changes.all()
        ],
        "interactions": [
            {
                "date": i.occurred_on.isoformat(),
                "kind": i.kind,
                "subject": i.subject,
                "notes": i.notes,
                "next_step": i.next_step,
            }
            for i in person.interactions.order_by("-occurred_on", "-pk")
        ],
    }


def export_rows(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The data-subject export flattened to (section, field, value) rows for a spreadsheet."""
    rows: list[tuple[str, str, str]] = []
    for section in ("person", "profile"):
        rows += [(section, key, "" if v is None else str(v)) for key, v in data[section].items()]
    for section in ("buying_roles", "stage_changes", "interactions"):
        for n, item in enumerate(data[section], start=1):
            rows += [(f"{section} {n}", key, str(v)) for key, v in item.items()]
    return rows
