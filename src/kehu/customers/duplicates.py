"""Finding accounts that are probably the customer being entered again.

Names are compared by their normalised keys (case, full-width characters, punctuation and
legal-form words such as 有限公司 or "Co., Ltd." removed), each of the new account's names
against both names of existing accounts; contacts by e-mail address (case-insensitively) and
by phone number in E.164 form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from kehu.customers.models import Account, Contact
from kehu.customers.normalise import company_name_key, phone_key

MAX_CANDIDATES = 20


@dataclass
class Candidate:
    account: Account
    reasons: list[str] = field(default_factory=list)


def find_duplicates(
    *,
    name: str = "",
    name_en: str = "",
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    exclude_id: int | None = None,
) -> list[Candidate]:
    """Existing accounts that share a name key, a contact e-mail or a contact phone (≤ 3 queries)."""
    keys = {k for k in (company_name_key(name), company_name_key(name_en)) if k}
    mails = {e.strip().upper() for e in emails if e and e.strip()}
    numbers = {k for k in (phone_key(p) for p in phones if p) if k}
    found: dict[int, Candidate] = {}

    def note(account: Account, reason: str) -> None:
        candidate = found.setdefault(account.pk, Candidate(account))
        if reason not in candidate.reasons:
            candidate.reasons.append(reason)

    accounts = Account.objects.select_related("owner")
    if exclude_id is not None:
        accounts = accounts.exclude(pk=exclude_id)
    if keys:
        for account in accounts.filter(Q(name_key__in=keys) | Q(name_en_key__in=keys))[
            :MAX_CANDIDATES
        ]:
            note(account, _("similar name"))
    if mails or numbers:
        contacts = Contact.objects.annotate(email_upper=Upper("email")).select_related(
            "account__owner"
        )
        if exclude_id is not None:
            contacts = contacts.exclude(account_id=exclude_id)
        match = Q()
        if mails:
            match |= Q(email_upper__in=mails)
        if numbers:
            match |= Q(phone_key__in=numbers)
        for contact in contacts.filter(match)[:MAX_CANDIDATES]:
            if contact.email and contact.email.upper() in mails:
                note(contact.account, _("contact e-mail %(email)s") % {"email": contact.email})
            if contact.phone_key and contact.phone_key in numbers:
                note(contact.account, _("contact phone %(phone)s") % {"phone": contact.phone})
    return sorted(found.values(), key=lambda c: (c.account.name_pinyin, c.account.pk))
