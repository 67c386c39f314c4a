"""The report archive in Debian's Chromium: open a report, look at its charts, download the PDF."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from pdfminer.high_level import extract_text
from playwright.sync_api import sync_playwright

from kehu.core.tests.test_browser import ARTIFACTS, CHROMIUM_ARGS
from kehu.insight import reports
from kehu.insight.models import Period
from kehu.insight.tests.factories import scene


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_a_lead_opens_a_report_from_the_archive_and_downloads_its_pdf(
    live_server, world, monkeypatch
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    s = scene(world)
    reports.generate_period(Period.WEEK, s.week)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(accept_downloads=True)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "lead")
        page.fill("#id_password", "pw-lead")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        with page.expect_navigation():
            page.click("nav >> text=Insight")
        with page.expect_navigation():
            page.click("[data-testid=report-archive] >> text=Company")
        assert "Perception report" in page.locator("h1").inner_text()
        assert page.locator("[data-testid=report-summary]").inner_text()
        assert page.locator("[data-testid=section-volume_type] svg").count() == 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "insight-report.png"), full_page=True)
        with page.expect_download() as download_info:
            page.click("[data-testid=download-pdf]")
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        with open(download.path(), "rb") as handle:
            text = extract_text(io.BytesIO(handle.read()))
        assert "Perception report" in text and "Tickets by type" in text
        browser.close()
