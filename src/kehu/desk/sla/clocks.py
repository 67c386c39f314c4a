"""SLA clocks of one ticket: derive them from the ticket's facts, store due and warning instants.

Everything here is recomputed from facts that never change meaning (when the ticket was created,
when staff first replied, the pauses, when it was resolved), so a change of priority, policy or
calendar simply recomputes and no elapsed business time is lost or counted twice.

The stored ``due_at``/``warn_at``/``next_check_at`` let the sweep find what is due by index
(see docs/benchmarks.md: evaluating the engine for every open ticket each minute does not scale).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import connection
from django.db.models import Count, Field, Max, Model
from django.utils import timezone

from kehu.desk.models import (
    BusinessCalendar,
    DeskSettings,
    EscalationStep,
    Pause,
    SlaClock,
    SlaEvent,
    SlaPolicy,
    SlaTarget,
    Target,
    Ticket,
)
from kehu.desk.sla import engine as sla
from kehu.desk.sla import selectors

Pauses = list[tuple[datetime, datetime | None]]


@dataclass(frozen=True)
class Match:
    policy: SlaPolicy
    target: SlaTarget
    calendar: sla.BusinessCalendar
    steps: tuple[EscalationStep, ...]

    def minutes(self, target: str) -> int | None:
        if target == Target.FIRST_RESPONSE:
            return self.target.first_response_minutes
        if target == Target.NEXT_RESPONSE:
            return self.target.next_response_minutes
        return self.target.resolution_minutes


@dataclass
class _PolicySet:
    stamp: tuple[object, ...]
    policies: list[SlaPolicy]
    calendars: dict[int, sla.BusinessCalendar]


_loaded: _PolicySet | None = None
_held = threading.local()


@contextmanager
def same_policies() -> Iterator[None]:
    """Check the policies are current once for the whole block (a batch of mail inside one
    transaction), not at every ticket it touches."""
    if getattr(_held, "policies", None) is not None:
        yield
        return
    _held.policies = active_policies()
    try:
        yield
    finally:
        _held.policies = None


def active_policies() -> _PolicySet:
    """The active policies with their calendars, loaded once per process and reloaded when any
    policy or calendar changes (one cheap query decides), so intake does not re-read the whole
    SLA configuration for every ticket. Web workers stay stateless: the database is the truth."""
    global _loaded
    held: _PolicySet | None = getattr(_held, "policies", None)
    if held is not None:
        return held
    stamp = (
        *SlaPolicy.objects.aggregate(n=Count("id"), latest=Max("updated_at")).values(),
        BusinessCalendar.objects.aggregate(latest=Max("updated_at"))["latest"],
    )
    current = _loaded
    if current is None or current.stamp != stamp:
        policies = list(selectors.sla_policies().filter(is_active=True))
        calendars = {
            c.pk: selectors.engine_calendar(c)
            for c in selectors.calendars().filter(pk__in={p.calendar_id for p in policies})
        }
        current = _loaded = _PolicySet(stamp, policies, calendars)
    return current


def match_for(
    ticket: Ticket, policies: list[SlaPolicy] | None = None, *, loaded: _PolicySet | None = None
) -> Match | None:
    """The policy and target that apply to ``ticket`` now (first active match wins).
    ``loaded``: what ``active_policies`` returned, for a caller matching many tickets."""
    if policies is None:
        loaded = loaded or active_policies()
        policies = loaded.policies
    else:
        loaded = None
    found = selectors.sla_policy_for(
        ticket_type=ticket.ticket_type,
        priority=ticket.priority,
        department_id=ticket.department_id,
        service_id=ticket.service_id,
        category_id=ticket.category_id,
        account_level=ticket.account.level if ticket.account_id else None,  # type: ignore[union-attr]
        policies=policies,
    )
    if found is None:
        return catalogue_match(ticket, loaded)
    policy, target = found
    calendar = loaded.calendars.get(policy.calendar_id) if loaded else None
    return Match(
        policy=policy,
        target=target,
        calendar=calendar or selectors.engine_calendar(policy.calendar),
        steps=tuple(sorted(policy.escalation_steps.all(), key=lambda step: step.level)),
    )


def catalogue_policy() -> SlaPolicy | None:
    """The row standing for the service catalogue's promise (made on first use, on the first
    business calendar; None while there is no calendar at all)."""
    found = SlaPolicy.objects.filter(is_catalogue_fallback=True).first()
    if found is not None:
        return found
    calendar = BusinessCalendar.objects.order_by("pk").first()
    if calendar is None:
        return None
    policy, _created = SlaPolicy.objects.get_or_create(
        is_catalogue_fallback=True,
        defaults={
            "name": "服务目录承诺",
            "name_en": "Service catalogue promise",
            "calendar": calendar,
            "position": 2**31 - 1,
        },
    )
    return policy


def catalogue_match(ticket: Ticket, loaded: _PolicySet | None = None) -> Match | None:
    """An internal request for a catalogued service that no policy matches is timed by the
    service's own targets: first response within ``response_minutes``, resolution within
    ``resolution_minutes``, in business minutes of the supplier's working calendar (else the
    first calendar). No escalation chain: the warnings go out, as for any policy."""
    if not ticket.service_id or not ticket.requester_employee_id:
        return None
    policy = catalogue_policy()
    if policy is None:
        return None
    service = ticket.service
    target = SlaTarget(
        policy=policy,
        priority=ticket.priority,
        first_response_minutes=service.response_minutes,  # type: ignore[union-attr]
        next_response_minutes=None,
        resolution_minutes=service.resolution_minutes,  # type: ignore[union-attr]
    )
    working = (
        DeskSettings.objects.filter(department_id=ticket.department_id)
        .values_list("working_calendar_id", flat=True)
        .first()
    )
    calendar_id = working or policy.calendar_id
    calendar = loaded.calendars.get(calendar_id) if loaded else None
    if calendar is None:
        calendar = selectors.engine_calendar(BusinessCalendar.objects.get(pk=calendar_id))
    return Match(policy=policy, target=target, calendar=calendar, steps=())


def ticket_pauses(ticket: Ticket) -> Pauses:
    return [(p.started_at, p.ended_at) for p in Pause.objects.filter(ticket=ticket)]


def _minutes(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


@dataclass
class Facts:
    """What ``recompute`` read of a ticket: its pauses, clocks and the events already fired
    (clock id → {(kind, level)}), for a caller that goes on working with them."""

    pauses: Pauses = field(default_factory=list)
    clocks: dict[tuple[str, int], SlaClock] = field(default_factory=dict)
    fired: dict[int, set[tuple[str, int]]] = field(default_factory=dict)


def recompute(
    ticket: Ticket,
    *,
    now: datetime | None = None,
    match: Match | None = None,
    new: bool = False,
    facts: Facts | None = None,
) -> Facts:
    """Bring the ticket's clocks, SLA statistics and escalation level in line with its facts.

    Call inside the transaction that changed the ticket; saves the ticket's SLA fields. ``new``:
    the ticket was created in this transaction, so it has no pauses, clocks or events to read.
    ``facts``: what an earlier call in the same transaction returned, still true.
    """
    now = now or timezone.now()
    match = match if match is not None else match_for(ticket)
    if facts is None:
        facts = (
            Facts()
            if new
            else Facts(
                pauses=ticket_pauses(ticket),
                clocks={(c.target, c.cycle): c for c in ticket.clocks.all()},
                fired=_fired_events(ticket, match),
            )
        )
    clocks, pauses, fired = facts.clocks, facts.pauses, facts.fired

    wanted = _wanted_clocks(ticket, match, clocks)
    for key in list(clocks):
        if key not in wanted:
            clocks.pop(key).delete()
    for key, (started, stopped, minutes) in wanted.items():
        clock = clocks.get(key) or SlaClock(
            ticket=ticket, target=key[0], cycle=key[1], started_at=started
        )
        clock.started_at, clock.stopped_at, clock.target_minutes = started, stopped, minutes
        if match is None:  # pragma: no cover - wanted is empty without a match
            break
        _evaluate(clock, match, pauses, now, fired)
        clock.save()
        clocks[key] = clock

    _update_ticket_statistics(ticket, match, pauses, now, clocks, fired)
    _save_statistics(ticket)
    return facts


def facts_of(tickets: list[Ticket], matches: dict[int, Match | None]) -> dict[int, Facts]:
    """``Facts`` of many tickets in three queries (pauses, clocks, events fired under each
    ticket's current policy), for callers working set-at-a-time (the sweep)."""
    ids = [t.pk for t in tickets]
    by_id = {t.pk: t for t in tickets}
    facts = {pk: Facts() for pk in ids}
    for ticket_id, started, ended in Pause.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "started_at", "ended_at"
    ):
        facts[ticket_id].pauses.append((started, ended))
    for clock in SlaClock.objects.filter(ticket_id__in=ids):
        clock.ticket = by_id[clock.ticket_id]
        facts[clock.ticket_id].clocks[(clock.target, clock.cycle)] = clock
    for ticket_id, policy_id, clock_id, kind, level in SlaEvent.objects.filter(
        clock__ticket_id__in=ids
    ).values_list("clock__ticket_id", "policy_id", "clock_id", "kind", "level"):
        match = matches.get(ticket_id)
        if match is not None and match.policy.pk == policy_id:
            facts[ticket_id].fired.setdefault(clock_id, set()).add((kind, level))
    return facts


def evaluate_clocks(
    ticket: Ticket, match: Match | None, facts: Facts, now: datetime
) -> list[SlaClock]:
    """``recompute``'s work on the clocks in memory: ``facts.clocks`` becomes the clocks the
    ticket should have, evaluated at ``now`` (new ones without a pk); returns those to delete.
    ``save_many`` writes them."""
    wanted = _wanted_clocks(ticket, match, facts.clocks)
    removed = [facts.clocks.pop(key) for key in list(facts.clocks) if key not in wanted]
    for key, (started, stopped, minutes) in wanted.items():
        clock = facts.clocks.get(key) or SlaClock(
            ticket=ticket, target=key[0], cycle=key[1], started_at=started
        )
        clock.started_at, clock.stopped_at, clock.target_minutes = started, stopped, minutes
        _evaluate(clock, match, facts.pauses, now, facts.fired)  # type: ignore[arg-type]
        facts.clocks[key] = clock
    return removed


CLOCK_FIELDS = [
    "started_at",
    "stopped_at",
    "target_minutes",
    "due_at",
    "warn_at",
    "next_check_at",
    "breached",
]


def save_many(
    evaluated: list[tuple[Ticket, Match | None, Facts]],
    removed: list[SlaClock],
    *,
    now: datetime,
) -> None:
    """Write what ``evaluate_clocks`` left in memory, set-at-a-time: the tickets' SLA statistics
    computed from their facts, removed clocks deleted, new ones inserted, the rest updated."""
    if removed:
        SlaClock.objects.filter(pk__in=[c.pk for c in removed]).delete()
    new: list[SlaClock] = []
    kept: list[SlaClock] = []
    for ticket, match, facts in evaluated:
        _update_ticket_statistics(ticket, match, facts.pauses, now, facts.clocks, facts.fired)
        for clock in facts.clocks.values():
            (kept if clock.pk else new).append(clock)
    if new:
        SlaClock.objects.bulk_create(new)
    update_each(SlaClock, kept, CLOCK_FIELDS)
    update_each(Ticket, [t for t, _match, _facts in evaluated], STATISTICS)


def _max_params() -> int:
    if connection.vendor == "sqlite":
        # Django assumes 999; the library's real limit (32,766 since SQLite 3.32) is far higher.
        raw = connection.connection
        if raw is not None and hasattr(raw, "getlimit"):
            return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return connection.features.max_query_params or 65_535


def update_each(model: type[Model], objs: list[Any], fields: list[str]) -> None:
    """Write ``fields`` of every object, each row its own values, in one ``UPDATE … FROM
    (VALUES …)`` statement (per 30,000-odd parameters) on SQLite ≥ 3.33 and PostgreSQL alike.
    Django's ``bulk_update`` builds a CASE expression per field and row: building them took
    seconds for a sweep of a few hundred tickets."""
    if not objs:
        return
    connection.ensure_connection()
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    concrete = [meta.get_field(name) for name in fields]
    assert all(isinstance(field, Field) for field in concrete)  # noqa: S101 (callers name columns)
    columns = [cast(Field, field) for field in concrete]
    casts = connection.vendor == "postgresql"
    assignments = ", ".join(
        f"{quote(str(field.column))} = "
        + (f"CAST(v.column{n} AS {field.db_type(connection)})" if casts else f"v.column{n}")
        for n, field in enumerate(columns, start=2)
    )
    width = 1 + len(columns)
    row = "(" + ", ".join(["%s"] * width) + ")"
    per_statement = max(1, _max_params() // width)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), per_statement):
            chunk = objs[start : start + per_statement]
            params: list[Any] = []
            for obj in chunk:
                params.append(obj.pk)
                params.extend(
                    field.get_db_prep_save(getattr(obj, field.attname), connection)
                    for field in columns
                )
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 (names from the model, values as parameters)
                f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v "
                f"WHERE {table}.{quote(str(meta.pk.column))} = v.column1",
                params,
            )


def start(tickets: list[Ticket], *, now: datetime | None = None) -> None:
    """``recompute(new=True)`` for tickets created in this transaction, set-at-a-time: the
    policies are read once, the clocks inserted in one statement and the tickets' SLA fields
    written in another."""
    now = now or timezone.now()
    loaded = active_policies()
    started: list[SlaClock] = []
    for ticket in tickets:
        match = match_for(ticket, loaded=loaded)
        clocks: dict[tuple[str, int], SlaClock] = {}
        wanted = _wanted_clocks(ticket, match, {}) if match is not None else {}
        for key, (began, stopped, minutes) in wanted.items():
            clock = SlaClock(
                ticket=ticket,
                target=key[0],
                cycle=key[1],
                started_at=began,
                stopped_at=stopped,
                target_minutes=minutes,
            )
            _evaluate(clock, match, [], now, {})  # type: ignore[arg-type]
            clocks[key] = clock
        started.extend(clocks.values())
        _update_ticket_statistics(ticket, match, [], now, clocks, {})
    SlaClock.objects.bulk_create(started)
    # One UPDATE per set of equal figures (a batch without a policy is one statement);
    # bulk_update's CASE expressions cost more to build than these few statements.
    alike: dict[tuple[Any, ...], list[int]] = {}
    for ticket in tickets:
        alike.setdefault(tuple(getattr(ticket, f) for f in STATISTICS), []).append(ticket.pk)
    for values, ids in alike.items():
        Ticket.objects.filter(pk__in=ids).update(**dict(zip(STATISTICS, values, strict=True)))


def _wanted_clocks(
    ticket: Ticket, match: Match | None, existing: dict[tuple[str, int], SlaClock]
) -> dict[tuple[str, int], tuple[datetime, datetime | None, int]]:
    """(target, cycle) → (started, stopped, minutes) for every clock the ticket should have."""
    if match is None:
        return {}
    wanted: dict[tuple[str, int], tuple[datetime, datetime | None, int]] = {}
    first = match.target.first_response_minutes
    # Resolving without a public reply ends the first-response clock too (unmet if late).
    first_stop = ticket.first_response_at or ticket.resolved_at or ticket.closed_at
    wanted[(Target.FIRST_RESPONSE, 1)] = (ticket.created_at, first_stop, first)
    wanted[(Target.RESOLUTION, 1)] = (
        ticket.created_at,
        ticket.resolved_at or ticket.closed_at,
        match.target.resolution_minutes,
    )
    next_minutes = match.target.next_response_minutes
    if next_minutes:
        for (target, cycle), clock in existing.items():
            if target == Target.NEXT_RESPONSE:
                wanted[(target, cycle)] = (clock.started_at, clock.stopped_at, next_minutes)
        if ticket.awaiting_reply_since and ticket.first_response_at:
            running = [
                k for k, v in wanted.items() if k[0] == Target.NEXT_RESPONSE and v[1] is None
            ]
            if not running:
                cycle = 1 + max((k[1] for k in wanted if k[0] == Target.NEXT_RESPONSE), default=0)
                wanted[(Target.NEXT_RESPONSE, cycle)] = (
                    ticket.awaiting_reply_since,
                    None,
                    next_minutes,
                )
    return wanted


def _fired_events(ticket: Ticket, match: Match | None) -> dict[int, set[tuple[str, int]]]:
    """clock id → {(kind, level)} already fired under the current policy."""
    if match is None:
        return {}
    fired: dict[int, set[tuple[str, int]]] = {}
    for clock_id, kind, level in SlaEvent.objects.filter(
        clock__ticket=ticket, policy=match.policy
    ).values_list("clock_id", "kind", "level"):
        fired.setdefault(clock_id, set()).add((kind, level))
    return fired


def _evaluate(
    clock: SlaClock,
    match: Match,
    pauses: Pauses,
    now: datetime,
    fired: dict[int, set[tuple[str, int]]],
) -> None:
    target = timedelta(minutes=clock.target_minutes)
    state = sla.evaluate_target(
        match.calendar,
        started_at=clock.started_at,
        target=target,
        now=now,
        pauses=pauses,
        met_at=clock.stopped_at,
    )
    clock.due_at = state.due_at
    clock.breached = state.breached
    if state.due_at is None:  # paused: nothing can come due until the clock runs again
        clock.warn_at = clock.next_check_at = None
        return
    closed_pauses: Pauses = [(s, e or now) for s, e in pauses]
    warn_after = target * float(match.policy.warning_fraction)
    clock.warn_at = sla.add_business_time(
        match.calendar, clock.started_at, warn_after, closed_pauses
    )
    schedule_next(clock, match, closed_pauses, fired)


def schedule_next(
    clock: SlaClock,
    match: Match,
    closed_pauses: Pauses,
    fired: dict[int, set[tuple[str, int]]],
) -> None:
    """The clock's next check: its warning or next escalation not yet fired (``due_at`` and
    ``warn_at`` already evaluated; ``closed_pauses``: the pauses with open ones ended now)."""
    if clock.stopped_at is not None or clock.due_at is None or clock.warn_at is None:
        clock.next_check_at = None
        return
    done = fired.get(clock.pk, set()) if clock.pk else set()
    pending: list[datetime] = []
    if (SlaEvent.Kind.WARNING, 0) not in done:
        pending.append(clock.warn_at)
    for step in match.steps:
        if (SlaEvent.Kind.ESCALATION, step.level) not in done:
            pending.append(
                sla.add_business_time(
                    match.calendar,
                    clock.due_at,
                    timedelta(minutes=step.after_minutes),
                    closed_pauses,
                )
            )
            break  # levels fire in order; the next one is looked at once this one fired
    clock.next_check_at = min(pending) if pending else None


def escalation_instant(
    clock: SlaClock, match: Match, step: EscalationStep, pauses: Pauses, now: datetime
) -> datetime:
    """When escalation ``step`` of a clock past its due time is reached."""
    if clock.due_at is None:
        raise ValueError("a paused clock has no escalation instants")
    return sla.add_business_time(
        match.calendar,
        clock.due_at,
        timedelta(minutes=step.after_minutes),
        [(s, e if e is not None else now) for s, e in pauses],
    )


def _update_ticket_statistics(
    ticket: Ticket,
    match: Match | None,
    pauses: Pauses,
    now: datetime,
    clocks: dict[tuple[str, int], SlaClock],
    fired: dict[int, set[tuple[str, int]]],
) -> None:
    ticket.sla_policy = match.policy if match else None
    running = [c for c in clocks.values() if c.stopped_at is None and c.due_at is not None]
    ticket.next_due_at = min((c.due_at for c in running), default=None)  # type: ignore[type-var]
    ticket.next_warn_at = min((c.warn_at for c in running if c.warn_at is not None), default=None)
    ticket.sla_breached = any(c.breached for c in clocks.values())
    # Only escalations of the policy that applies now, on clocks still breached, count: a
    # ticket is never left escalated by a policy or a due time that no longer holds.
    ticket.escalation_level = max(
        (
            level
            for c in running
            if c.breached
            for kind, level in fired.get(c.pk, set())
            if kind == SlaEvent.Kind.ESCALATION
        ),
        default=0,
    )
    if match is not None:
        calendar = match.calendar
        ticket.paused_minutes = _minutes(sla.paused_business_time(calendar, pauses, now))
        ticket.first_response_minutes = (
            _minutes(
                sla.business_time_between(
                    calendar, ticket.created_at, ticket.first_response_at, pauses
                )
            )
            if ticket.first_response_at
            else None
        )
        ticket.resolution_minutes = (
            _minutes(
                sla.business_time_between(calendar, ticket.created_at, ticket.resolved_at, pauses)
            )
            if ticket.resolved_at
            else None
        )


STATISTICS = [
    "sla_policy",
    "next_due_at",
    "next_warn_at",
    "sla_breached",
    "escalation_level",
    "paused_minutes",
    "first_response_minutes",
    "resolution_minutes",
]


def _save_statistics(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(
        # sla_policy was just assigned by _update_ticket_statistics: reading it costs no query.
        **{f: getattr(ticket, f) for f in STATISTICS}
    )
