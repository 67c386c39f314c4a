"""An approval in Debian's Chromium: the owner sends a draft for approval, finance finds it in
the inbox and approves it, legal's parallel step then finishes the round."""

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from kehu.contracts.models import Contract
from kehu.contracts.tests.factories import draft, setup
from kehu.core.tests.test_browser import CHROMIUM_ARGS


def _sign_in(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_send_for_approval_and_approve_in_the_browser(world, live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    s = setup(world)
    contract = draft(
        world,
        s,
        lines=[
            {
                "kind": "service",
                "name": "驻场运维",
                "quantity": "1",
                "unit": "月",
                "unit_price": "5000",
                "tax_rate": "6",
            }
        ],
    )
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        _sign_in(page, base, "account_manager")
        page.goto(f"{base}/contracts/{contract.pk}/")
        with page.expect_navigation():
            page.click("text=Send for approval")
        assert page.locator("[data-testid=contract-status]").inner_text() == "In approval"

        _sign_in(page, base, "finance")
        page.goto(f"{base}/contracts/approvals/")
        with page.expect_navigation():
            page.click(f"[data-testid=approval-inbox] >> text={contract.number}")
        form = page.locator("form[data-testid^=decide-]")
        form.locator("select").select_option("approve")
        form.locator("input[name=comment]").fill("价格合理，同意")
        with page.expect_navigation():
            form.locator("button").click()
        assert "价格合理，同意" in page.locator("[data-testid=approval-steps]").inner_text()

        _sign_in(page, base, "legal")
        page.goto(f"{base}/contracts/{contract.pk}/")
        page.locator("form[data-testid^=decide-] button").click()
        page.wait_for_selector("[data-testid=contract-status]:has-text('Approved')")
        browser.close()
    assert Contract.objects.get(pk=contract.pk).status == "approved"
