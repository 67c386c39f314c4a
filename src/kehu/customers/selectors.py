"""Reads of accounts and contacts, with related rows fetched in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from kehu.customers.models import (
    Account,
    AccountTeamMember,
    Contact,
    CustomField,
    Ownership,
    TimelineEntry,
)
from kehu.customers.normalise import phone_key
from kehu.customers.rules import can_view_dossier

TIMELINE_PAGE = 50
SORTS = {
    "name": ("name_pinyin", "id"),
    "-name": ("-name_pinyin", "-id"),
    "customer_since": ("customer_since", "id"),
    "-customer_since": ("-customer_since", "-id"),
    "credit_limit": ("credit_limit", "id"),
    "-credit_limit": ("-credit_limit", "-id"),
}


@dataclass
class AccountFilters:
    q: str = ""
    level: str = ""
    segment: str = ""
    owner_id: int | None = None
    tag_id: int | None = None
    region: str = ""
    industry: str = ""
    active: bool | None = None
    sort: str = "name"


def account_search(accounts: QuerySet[Account], text: str) -> QuerySet[Account]:
    """Accounts whose name, English name or pinyin contains ``text``, or that have a contact
    with this e-mail or phone number."""
    text = text.strip()
    if not text:
        return accounts
    contact_match = Q(email__icontains=text)
    number = phone_key(text) if sum(c.isdigit() for c in text) >= 5 else ""
    digits = "".join(c for c in text if c.isdigit())
    if number:
        contact_match |= Q(phone_key=number)
    if len(digits) >= 5:
        contact_match |= Q(phone_key__contains=digits)
    return accounts.filter(
        Q(name__icontains=text)
        | Q(name_en__icontains=text)
        | Q(name_pinyin__icontains=text.lower().replace(" ", ""))
        | Q(pk__in=Contact.objects.filter(contact_match).values("account_id"))
    )


def account_list(filters: AccountFilters) -> QuerySet[Account]:
    """Accounts matching ``filters`` in the chosen order, with owner and tags."""
    accounts = Account.objects.select_related("owner", "parent").prefetch_related("tags")
    accounts = account_search(accounts, filters.q)
    if filters.level:
        accounts = accounts.filter(level=filters.level)
    if filters.segment:
        accounts = accounts.filter(segment=filters.segment)
    if filters.owner_id:
        accounts = accounts.filter(owner_id=filters.owner_id)
    if filters.tag_id:
        accounts = accounts.filter(
            pk__in=Account.tags.through.objects.filter(tag_id=filters.tag_id).values("account_id")
        )
    if filters.region:
        accounts = accounts.filter(region__icontains=filters.region.strip())
    if filters.industry:
        accounts = accounts.filter(industry__icontains=filters.industry.strip())
    if filters.active is not None:
        accounts = accounts.filter(is_active=filters.active)
    return accounts.order_by(*SORTS.get(filters.sort, SORTS["name"]))


@dataclass
class AccountDetail:
    account: Account
    children: list[Account]
    contacts: list[Contact]
    team: list[AccountTeamMember]
    ownerships: list[Ownership]
    custom_fields: list[tuple[CustomField, Any]]
    tags: list[Any]


def account_detail(account_id: int) -> AccountDetail:
    """An account with everything its page shows about it (a fixed number of queries)."""
    account = (
        Account.objects.select_related("owner", "parent")
        .prefetch_related(
            "tags",
            Prefetch("children", queryset=Account.objects.order_by("name_pinyin", "id")),
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_active", "name")),
            Prefetch(
                "team",
                queryset=AccountTeamMember.objects.select_related("employee").order_by("id"),
            ),
            Prefetch(
                "ownerships",
                queryset=Ownership.objects.select_related("owner").order_by("-started_at", "-id"),
            ),
        )
        .get(pk=account_id)
    )
    definitions = list(CustomField.objects.all())
    return AccountDetail(
        account=account,
        children=list(account.children.all()),
        contacts=list(account.contacts.all()),
        team=list(account.team.all()),
        ownerships=list(account.ownerships.all()),
        custom_fields=[
            (d, account.custom_fields[d.code])
            for d in definitions
            if d.code in account.custom_fields
        ],
        tags=list(account.tags.all()),
    )


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str  # "" when this is the oldest page


def timeline_cursor(entry: TimelineEntry) -> str:
    return f"{entry.occurred_at.isoformat()}~{entry.pk}"


def parse_cursor(cursor: str) -> tuple[datetime, int] | None:
    """The (occurred_at, id) a cursor names, or None if it is not one."""
    at, sep, pk = (cursor or "").rpartition("~")
    if not sep:
        return None
    try:
        moment = datetime.fromisoformat(at.replace(" ", "+"))
        number = int(pk)
    except ValueError:
        return None
    if moment.tzinfo is None or number < 1:
        return None
    return moment, number


def timeline_page(
    account: Account,
    *,
    user: Any,
    kinds: list[str] | None = None,
    cursor: str = "",
    size: int = TIMELINE_PAGE,
) -> TimelinePage:
    """One page of the account's timeline, newest first, older than ``cursor`` (one query).

    Restricted lines are left out unless the user may read the account's dossier; the keyset
    (occurred_at, id) walks the ``timeline_page`` index, so page 100 costs what page 1 costs.
    """
    entries = TimelineEntry.objects.filter(account=account).select_related("actor")
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if not can_view_dossier(user, account):
        entries = entries.filter(restricted=False)
    position = parse_cursor(cursor)
    if position is not None:
        at, pk = position
        entries = entries.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, pk__lt=pk))
    rows = list(entries.order_by("-occurred_at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return TimelinePage(entries=rows, next_cursor=timeline_cursor(rows[-1]) if more else "")
