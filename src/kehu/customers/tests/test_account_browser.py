"""An after-sales engineer finds a demo account and reads its dossier in a real Chromium."""

import pytest
from django.conf import settings

from kehu.core.tests.test_browser import ARTIFACTS, browser_page  # noqa: F401  (fixture)
from kehu.customers.models import Account, TimelineEntry
from kehu.org.demo import DEMO_PASSWORD


@pytest.fixture
def demo_dossier() -> bool:
    return True  # the account page needs the dossier's demo: usage, visits, segments


def _busy_demo_account() -> Account:
    """A strategic demo account with usage, dossier and visit lines on its timeline."""
    return (
        Account.objects.filter(
            level="strategic",
            usage_records__isnull=False,
            timeline__kind=TimelineEntry.Kind.VISIT,
        )
        .distinct()
        .order_by("pk")
        .first()
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_find_an_account_and_read_its_page(browser_page):  # noqa: F811
    page, base = browser_page
    account = _busy_demo_account()
    assert account is not None, "the demo has strategic accounts with usage and visits"
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")

    with page.expect_navigation():
        page.click("nav >> text=Accounts")
    page.fill("#id_q", account.name)
    page.wait_for_selector(f"#rows >> text={account.name}")
    with page.expect_navigation():
        page.click(f"#rows >> text={account.name}")
    assert account.name in page.locator("h1").inner_text()

    # Base facts, then the panels of the other apps: segment, dossier, usage chart.
    assert page.locator("[data-testid=account-facts]").is_visible()
    assert page.locator("[data-panel=segment]").count() == 1
    assert page.locator("[data-panel=dossier]").count() == 1
    assert page.locator("[data-testid=usage-panel] svg").count() >= 1

    # The timeline filters by kind without leaving the page.
    entries = page.locator("[data-testid=timeline-entry]")
    assert entries.count() > 0
    page.check("#timeline input[value=visit]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=timeline-entry]')]"
        ".every(e => e.classList.contains('kind-visit'))"
    )
    assert entries.count() > 0

    with page.expect_navigation():
        page.select_option("[data-testid=language-switch]", "zh-hans")
    assert page.locator("#timeline-heading").inner_text() == "时间线"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "account-page-zh.png"), full_page=True)
