"""An account manager drags a card across the board in a real Chromium: the move is saved,
and a move someone else made first is refused on the page."""

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from kehu.core.tests.test_browser import ARTIFACTS, CHROMIUM_ARGS
from kehu.pipeline import services
from kehu.pipeline.models import Opportunity
from kehu.pipeline.tests.factories import opportunity, sales, stage


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_drag_a_card_to_another_stage(live_server, monkeypatch, world):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    s = sales(world)
    first = opportunity(s.account, "拖动的商机")
    second = opportunity(s.account, "被别人改过的商机")
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{base}/accounts/login/")
        page.fill("#id_username", "account_manager")
        page.fill("#id_password", "pw-account_manager")
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/pipeline/")

        page.drag_and_drop(f"[data-testid=card-{first.pk}]", "[data-testid=column-solution]")
        page.wait_for_selector("[data-testid=board-status].success")
        assert (
            page.locator(f"[data-testid=column-solution] [data-testid=card-{first.pk}]").count()
            == 1
        )
        assert page.locator("[data-testid=column-solution] .column-count").inner_text() == "1"
        first.refresh_from_db()
        assert first.stage.code == "solution"

        # Someone else moves the second deal meanwhile: the board's copy is stale.
        services.opportunity_move(opportunity=second, version=1, to_stage=stage("bid"), by=None)
        page.drag_and_drop(f"[data-testid=card-{second.pk}]", "[data-testid=column-negotiation]")
        page.wait_for_selector("[data-testid=board-status].warning")
        assert "changed by someone else" in page.locator("[data-testid=board-status]").inner_text()
        assert (
            page.locator(f"[data-testid=column-qualify] [data-testid=card-{second.pk}]").count()
            == 1
        )
        assert Opportunity.objects.get(pk=second.pk).stage.code == "bid"

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pipeline-board.png"), full_page=True)
        browser.close()
