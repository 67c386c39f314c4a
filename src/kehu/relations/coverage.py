"""Coverage alerts and next-step reminders for every watched account at once (SPEC §4 points 5
and 7), run daily by the periodic task ``kehu.relations.tasks.run_coverage_check``.

Watched accounts are the key and strategic ones and every account with an iron triangle. The
gaps are the map page's (no coach, lapsed coach evidence, decision maker unknown or below trust,
acceptor unknown, no interaction with a key person for ``quiet_days``) plus "no iron triangle".
They are computed set-at-a-time — a handful of queries whatever the number of accounts — and
synchronised with the open ``CoverageAlert`` rows: a new gap is raised once (and its account
manager notified), a gap the data no longer shows is resolved. Running twice changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Account, AccountLevel
from kehu.notify import notices
from kehu.relations.models import (
    STAGE_ORDER,
    BuyingRole,
    BuyingRoleKind,
    CoverageAlert,
    CoverageRun,
    GapKind,
    Interaction,
    IronTriangle,
    Person,
    Stage,
)

ALERT_EVENT = "relations.coverage_gap"
REMINDER_EVENT = "relations.next_step_due"
KEY_LEVELS = (AccountLevel.STRATEGIC, AccountLevel.KEY)
Gap = tuple[str, int | None]  # (GapKind, person id or None)
CHUNK = 500


def quiet_days() -> int:
    """Days without an interaction after which a key person is a gap (KEHU_RELATIONS_QUIET_DAYS)."""
    return int(getattr(settings, "KEHU_RELATIONS_QUIET_DAYS", 60))


def watched_accounts() -> QuerySet[Account]:
    return Account.objects.filter(is_active=True).filter(
        Q(level__in=KEY_LEVELS) | Q(iron_triangle__isnull=False)
    )


def compute_gaps(
    accounts: QuerySet[Account], *, today: date, quiet: int | None = None
) -> dict[int, set[Gap]]:
    """Every account's gaps: six queries whatever the number of accounts."""
    since = today - timedelta(days=quiet if quiet is not None else quiet_days())
    account_ids = list(accounts.values_list("pk", flat=True))
    with_triangle = set(
        IronTriangle.objects.filter(account__in=accounts).values_list("account_id", flat=True)
    )
    people = list(
        Person.objects.filter(account__in=accounts).values_list(
            "pk", "account_id", "stage", "influence", "is_coach"
        )
    )
    lapsed = {
        pk
        for pk, *evidence in Person.objects.filter(account__in=accounts, is_coach=True).values_list(
            "pk", "coach_influence", "coach_informed", "coach_win_win"
        )
        if not all(text.strip() for text in evidence)
    }
    roles: dict[int, set[str]] = defaultdict(set)
    for person_id, role in BuyingRole.objects.filter(
        person__account__in=accounts,
        role__in=(BuyingRoleKind.DECISION_MAKER, BuyingRoleKind.ACCEPTOR),
    ).values_list("person_id", "role"):
        roles[person_id].add(role)
    last_contact = dict(
        Interaction.people.through.objects.filter(person__account__in=accounts)
        .values("person_id")
        .annotate(last=Max("interaction__occurred_on"))
        .values_list("person_id", "last")  # type: ignore[misc]
    )
    gaps: dict[int, set[Gap]] = {pk: set() for pk in account_ids}
    coach: set[int] = set()
    decider: set[int] = set()
    acceptor: set[int] = set()
    trust = STAGE_ORDER[Stage.TRUST]
    for pk, account_id, stage, influence, is_coach in people:
        held = roles.get(pk, ())
        found = gaps[account_id]
        if is_coach:
            coach.add(account_id)
            if pk in lapsed:
                found.add((GapKind.COACH_LAPSED.value, pk))
        if BuyingRoleKind.DECISION_MAKER in held:
            decider.add(account_id)
            if STAGE_ORDER[stage] < trust:
                found.add((GapKind.DECIDER_BELOW_TRUST.value, pk))
        if BuyingRoleKind.ACCEPTOR in held:
            acceptor.add(account_id)
        if influence >= 4 or BuyingRoleKind.DECISION_MAKER in held:
            last = last_contact.get(pk)
            if last is None or last < since:
                found.add((GapKind.QUIET.value, pk))
    for account_id, found in gaps.items():
        if account_id not in coach:
            found.add((GapKind.NO_COACH.value, None))
        if account_id not in decider:
            found.add((GapKind.DECIDER_UNKNOWN.value, None))
        if account_id not in acceptor:
            found.add((GapKind.ACCEPTOR_UNKNOWN.value, None))
        if account_id not in with_triangle:
            found.add((GapKind.NO_TRIANGLE.value, None))
    return gaps


@dataclass
class SyncResult:
    raised: int
    resolved: int
    notified: int


def sync_alerts(*, today: date | None = None, quiet: int | None = None) -> SyncResult:
    """Raise the new gaps of every watched account, resolve those gone, tell the account
    managers about the new ones. Idempotent."""
    today = today or timezone.localdate()
    accounts = watched_accounts()
    current = compute_gaps(accounts, today=today, quiet=quiet)
    open_rows = CoverageAlert.objects.filter(resolved_on__isnull=True).values_list(
        "pk", "account_id", "kind", "person_id"
    )
    known: dict[tuple[int, str, int | None], int] = {
        (account_id, kind, person_id): pk for pk, account_id, kind, person_id in open_rows
    }
    wanted = {
        (account_id, kind, person_id)
        for account_id, found in current.items()
        for kind, person_id in found
    }
    new = sorted(wanted - known.keys(), key=lambda k: (k[0], k[1], k[2] or 0))
    gone = [pk for key, pk in known.items() if key not in wanted]
    with transaction.atomic():
        CoverageAlert.objects.bulk_create(
            [CoverageAlert(account_id=a, kind=k, person_id=p, raised_on=today) for a, k, p in new],
            batch_size=2000,
            ignore_conflicts=True,  # a concurrent run raised it already
        )
        for start in range(0, len(gone), CHUNK):
            CoverageAlert.objects.filter(pk__in=gone[start : start + CHUNK]).update(
                resolved_on=today
            )
        notified = _notify_new(new)
    return SyncResult(len(new), len(gone), notified)


def _notify_new(new: list[tuple[int, str, int | None]]) -> int:
    """One notification per account with new gaps, to its account manager (the owner, who is
    the triangle's AR), in their language."""
    if not new:
        return 0
    by_account: dict[int, list[tuple[str, int | None]]] = defaultdict(list)
    for account_id, kind, person_id in new:
        by_account[account_id].append((kind, person_id))
    accounts = Account.objects.filter(pk__in=list(by_account), owner__user__isnull=False)
    owners = {a.pk: a for a in accounts.select_related("owner__user")}
    person_ids = {p for _a, _k, p in new if p is not None}
    names = dict(Person.objects.filter(pk__in=person_ids).values_list("pk", "contact__name"))
    wanted = []
    for account_id, gaps in by_account.items():
        account = owners.get(account_id)
        if account is None:
            continue

        def text(user: Any, account: Account = account, gaps: list[Any] = gaps) -> tuple[str, str]:
            return (
                _("%(account)s: %(count)s new relationship coverage gaps")
                % {"account": account, "count": len(gaps)},
                "\n".join(describe(kind, names.get(person_id)) for kind, person_id in gaps),
            )

        wanted.append((account.owner.user, reverse("relations:account", args=[account_id]), text))  # type: ignore[union-attr]
    return len(notices.notify(event=ALERT_EVENT, notices=wanted))


def describe(kind: str, person: str | None) -> str:
    """The gap in the reader's language."""
    if kind == GapKind.QUIET and person:
        return _("No interaction with %(person)s for %(days)s days.") % {
            "person": person,
            "days": quiet_days(),
        }
    if kind == GapKind.DECIDER_BELOW_TRUST and person:
        return _("Decision maker %(person)s is below trust.") % {"person": person}
    if kind == GapKind.COACH_LAPSED and person:
        return _("The coach evidence of %(person)s is incomplete.") % {"person": person}
    return str(GapKind(kind).label)


def remind_next_steps(*, today: date | None = None) -> int:
    """Tell the recorder and the account manager of each interaction whose next step is due
    (once: the interaction keeps when it was reminded)."""
    today = today or timezone.localdate()
    due = list(
        Interaction.objects.filter(
            next_step_due__lte=today, next_step_reminded_at__isnull=True
        ).select_related("account__owner__user", "recorded_by__user")[:5000]
    )
    if not due:
        return 0
    wanted = []
    for interaction in due:

        def text(user: Any, i: Interaction = interaction) -> tuple[str, str]:
            return (
                _("%(account)s: next step due %(due)s")
                % {"account": i.account, "due": i.next_step_due},
                _("%(step)s (after “%(subject)s” on %(day)s)")
                % {"step": i.next_step, "subject": i.subject, "day": i.occurred_on},
            )

        url = reverse("relations:account", args=[interaction.account_id])
        users = {
            employee.user.pk: employee.user
            for employee in (interaction.account.owner, interaction.recorded_by)
            if employee is not None and employee.user is not None
        }
        wanted += [(user, url, text) for user in users.values()]
    with transaction.atomic():
        Interaction.objects.filter(pk__in=[i.pk for i in due]).update(
            next_step_reminded_at=timezone.now()
        )
        notices.notify(event=REMINDER_EVENT, notices=wanted)
    return len(due)


# --- the daily run ----------------------------------------------------------------------------


def check_due(today: date) -> bool:
    return not CoverageRun.objects.filter(day=today, finished_at__isnull=False).exists()


def run_daily(*, today: date | None = None) -> SyncResult | None:
    """Today's coverage check and next-step reminders, once a day (one query when done)."""
    today = today or timezone.localdate()
    if not check_due(today):
        return None
    run, _created = CoverageRun.objects.get_or_create(day=today)
    result = sync_alerts(today=today)
    reminders = remind_next_steps(today=today)
    run.raised, run.resolved, run.reminders = result.raised, result.resolved, reminders
    run.finished_at = timezone.now()
    run.save()
    return result


# --- the key accounts by coverage, for leads ----------------------------------------------------


@dataclass
class CoverageRow:
    account: Account
    people: int
    roles_known: int
    key_at_trust: int
    open_gaps: list[str]


def coverage_list(accounts: QuerySet[Account]) -> list[CoverageRow]:
    """Key accounts with their coverage, the most gaps first: four queries."""
    rows = list(
        accounts.filter(level__in=KEY_LEVELS)
        .select_related("owner")
        .annotate(people_count=Count("relationship_people", distinct=True))
        .order_by("name")[:2000]
    )
    ids = [a.pk for a in rows]
    known: dict[int, set[str]] = defaultdict(set)
    trusted: dict[int, set[int]] = defaultdict(set)
    at_trust = [s for s, order in STAGE_ORDER.items() if order >= STAGE_ORDER[Stage.TRUST]]
    for account_id, role, person_id, stage in BuyingRole.objects.filter(
        person__account_id__in=ids
    ).values_list("person__account_id", "role", "person_id", "person__stage"):
        known[account_id].add(role)
        if stage in at_trust:
            trusted[account_id].add(person_id)
    gaps: dict[int, list[str]] = defaultdict(list)
    for account_id, kind in (
        CoverageAlert.objects.filter(account_id__in=ids, resolved_on__isnull=True)
        .order_by("kind")
        .values_list("account_id", "kind")
    ):
        gaps[account_id].append(kind)
    result = [
        CoverageRow(
            account=a,
            people=a.people_count,
            roles_known=len(known[a.pk]),
            key_at_trust=len(trusted[a.pk]),
            open_gaps=gaps[a.pk],
        )
        for a in rows
    ]
    return sorted(result, key=lambda r: (-len(r.open_gaps), r.roles_known, r.account.name))
