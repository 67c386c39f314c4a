"""The desk in a real Chromium: a customer submits on the portal, an agent answers, the
customer sees the reply (and never the internal note) and closes the ticket."""

import pytest
from django.conf import settings

from kehu.core.tests.test_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    browser_page,
    demo_dossier,
)
from kehu.desk.models import Ticket
from kehu.org.demo import DEMO_PASSWORD


def _sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_portal_and_agent_round_trip(browser_page):  # noqa: F811
    page, base = browser_page
    _sign_in(page, base, "customer")
    page.goto(f"{base}/portal/new/")
    page.fill("#id_subject", "浏览器测试：发票抬头错误")
    page.fill("#id_body", "请重新开具发票，抬头应为星河银行。")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    ticket = Ticket.objects.get(subject="浏览器测试：发票抬头错误")
    assert ticket.reference in page.locator(".messages").inner_text()  # reference shown at once
    page.context.clear_cookies()

    _sign_in(page, base, "agent")
    page.goto(f"{base}/desk/tickets/?q=浏览器测试")
    assert page.locator("[data-testid=ticket-row]").count() == 1
    with page.expect_navigation():
        page.click(f"text={ticket.reference}")
    assert page.locator("[data-testid=sla-policy]").inner_text() != ""
    page.select_option("#id_kind", "internal")
    page.fill("#id_body", "内部：核对开票信息")
    with page.expect_navigation():
        page.click("text=Send")
    page.select_option("#id_kind", "public")
    page.fill("#id_body", "您好，新发票已开具，请查收。")
    with page.expect_navigation():
        page.click("text=Send")
    assert page.locator("[data-testid=ticket-status]").inner_text() == "Open"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "agent-ticket-page.png"), full_page=True)
    page.context.clear_cookies()

    _sign_in(page, base, "customer")
    page.goto(f"{base}/portal/tickets/{ticket.pk}/")
    thread = page.locator("[data-testid=thread]").inner_text()
    assert "新发票已开具" in thread and "核对开票信息" not in thread
    with page.expect_navigation():
        page.click("text=close this ticket")
    assert page.locator("[data-testid=ticket-status]").inner_text() == "Closed"
