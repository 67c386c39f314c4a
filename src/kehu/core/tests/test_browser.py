"""A real Chromium (Debian's) driven by Playwright against a live server."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from kehu.demo import DEMO_PASSWORD, build_demo

ARTIFACTS = Path(os.environ.get("KEHU_ARTIFACTS", "artifacts"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def demo_dossier() -> bool:
    """Whether the browser tests' demo includes the customer dossier (override per module)."""
    return False


@pytest.fixture
def browser_page(live_server, monkeypatch, demo_dossier):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    build_demo(dossier=demo_dossier)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        yield page, live_server.url
        browser.close()


# available_apps makes the flush after this test TRUNCATE … CASCADE: on PostgreSQL the unused
# table of django-auditlog's swapped-out LogEntry model still points at the user table.
@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_sign_in_switch_to_chinese_and_open_a_department(browser_page):
    page, base = browser_page
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "employee")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("[data-testid=count-departments]").inner_text() == "13"

    with page.expect_navigation():
        page.select_option("[data-testid=language-switch]", "zh-hans")
    assert page.locator("h1").inner_text() == "工作台"

    with page.expect_navigation():
        page.click("nav >> text=部门")
    with page.expect_navigation():
        page.click("main >> text=售后服务部")
    assert "售后服务部" in page.locator("h1").inner_text()
    assert page.locator("#services-heading").inner_text() != "Services we supply"  # translated
    assert page.locator("text=客户服务中心").count() >= 1  # its sub-department is listed

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "department-page-zh.png"), full_page=True)
