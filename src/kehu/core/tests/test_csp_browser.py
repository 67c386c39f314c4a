"""The Content-Security-Policy holds in a real Chromium: htmx swaps, the pygal charts and the API
docs work, and the browser reports no violation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import sync_playwright

from kehu.core.tests.test_browser import CHROMIUM_ARGS
from kehu.customers.models import Account
from kehu.usage.models import Product, UsageRecord

# Every violation the page sees, collected before any of the page's own scripts run.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _violations(page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


@pytest.fixture
def account_with_usage(world) -> Account:
    account = Account.objects.create(name="蓝鲸科技")
    product = Product.objects.create(code="cloud", name="云服务器")
    today = timezone.localdate()
    UsageRecord.objects.bulk_create(
        UsageRecord(
            account=account,
            product=product,
            day=today - timedelta(days=n),
            quantity=Decimal(10 + n % 5),
            spend=Decimal(100),
        )
        for n in range(1, 40)
    )
    return account


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_pages_with_htmx_and_charts_run_under_the_policy(
    live_server, monkeypatch, account_with_usage
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    base = live_server.url
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", lambda m: console.append(m.text))

        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "admin")
        page.fill("#id_password", "pw-admin")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/")
        assert _violations(page) == []

        # htmx: the account list filters as one types (hx-get swaps the rows in).
        page.goto(f"{base}/customers/accounts/")
        page.fill("#id_q", "蓝鲸")
        page.wait_for_selector("#rows >> text=蓝鲸科技")
        assert _violations(page) == []

        # The account page: the usage panel's chart, and the timeline filter (htmx).
        page.goto(f"{base}/customers/accounts/{account_with_usage.pk}/")
        chart = page.locator("[data-testid=usage-panel] svg.pygal-chart")
        assert chart.count() == 1
        # The chart's own <style> applied (it carries the nonce): its title uses our font.
        title_font = page.evaluate(
            "() => getComputedStyle(document.querySelector('svg.pygal-chart .title')).fontFamily"
        )
        assert "system-ui" in title_font
        page.check("#timeline input[value=ticket]")
        page.wait_for_load_state("networkidle")
        assert _violations(page) == []

        # The usage page: four charts.
        page.goto(f"{base}/usage/accounts/{account_with_usage.pk}/")
        assert page.locator("svg.pygal-chart").count() >= 1
        assert _violations(page) == []

        # The API docs (Swagger UI from our own static files) render their operations.
        page.goto(f"{base}/api/docs")
        page.wait_for_selector(".opblock", timeout=90000)  # a 500 kB schema, a busy CI
        assert _violations(page) == []
        browser.close()

    assert not [line for line in console if "Content Security Policy" in line], console
