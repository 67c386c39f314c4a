import time

from kehu.conftest import DepartmentFactory, EmployeeFactory
from kehu.customers.demo import NEAR_DUPLICATES, build_accounts_demo
from kehu.customers.duplicates import find_duplicates
from kehu.customers.models import Account, AccountLevel, Contact, Ownership


def test_demo_accounts_are_bilingual_idempotent_and_quick(world):
    sales = DepartmentFactory(code="SALES", name="销售部")
    owners = [EmployeeFactory(department=d) for d in (sales, world.aftersales) for _ in range(3)]
    started = time.monotonic()
    counts = build_accounts_demo()
    assert time.monotonic() - started < 20
    assert counts["accounts"] >= 220
    accounts = list(Account.objects.all())
    assert all(a.name and a.name_en for a in accounts)
    assert {a.owner for a in accounts} <= set(owners)
    strategic = sum(a.level == AccountLevel.STRATEGIC for a in accounts) / len(accounts)
    assert 0.04 < strategic < 0.2
    assert Account.objects.filter(kind=Account.Kind.INDIVIDUAL).count() >= 5
    assert Account.objects.filter(parent__isnull=False).exists()
    assert Ownership.objects.filter(ended_at__isnull=True).count() == len(accounts)
    assert all(c.phone_key.startswith("+86") for c in Contact.objects.all())
    years = {a.customer_since.year for a in accounts}
    assert max(years) - min(years) >= 6
    first, second = (Account.objects.get(name=n) for n, _en, _p in NEAR_DUPLICATES)
    assert first.pk in [
        c.account.pk for c in find_duplicates(name=second.name, exclude_id=second.pk)
    ]
    contacts = Contact.objects.count()

    again = build_accounts_demo()
    assert again == {**counts, "contacts": contacts}
    assert Ownership.objects.count() == len(accounts)
