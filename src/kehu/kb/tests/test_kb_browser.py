"""The knowledge base in a real Chromium: as a customer types a request's subject, public
articles are suggested and opening one counts for the visit; an agent inserts an article into a
reply. Lean: only the records this needs, no demo."""

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

from kehu.access.models import Role, RoleAssignment, User
from kehu.conftest import DepartmentFactory
from kehu.core.tests.test_browser import ARTIFACTS, CHROMIUM_ARGS
from kehu.desk.tests import factories as desk
from kehu.kb.models import SuggestionOpen, Visibility
from kehu.kb.tests import factories
from kehu.org.models import Department

PASSWORD = "browser-pw-42"


def contact_of(username):
    from kehu.customers.models import Contact

    return Contact.objects.get(user__username=username)


@pytest.fixture
def portal_page(live_server, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    DepartmentFactory(code="SUPPORT", name="客户服务中心", name_en="Support")
    customer = User.objects.create_user(username="kunde", password=PASSWORD)
    RoleAssignment.objects.create(user=customer, role=Role.CUSTOMER)
    contact = desk.contact("甲公司")
    contact.user = customer
    contact.save()
    author = User.objects.create_user(username="autor", password=PASSWORD)
    RoleAssignment.objects.create(user=author, role=Role.AGENT)
    filed = factories.category("账单与发票")
    factories.article(author, category_=filed, title="如何重新开具发票")
    factories.article(
        author, category_=filed, title="发票系统内部排障", visibility=Visibility.INTERNAL
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        yield page, live_server.url
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_the_portal_suggests_public_articles_while_the_customer_types(portal_page):
    page, base = portal_page
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "kunde")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/portal/new/")
    page.locator("#id_subject").press_sequentially("发票开错了", delay=30)
    suggestions = page.locator("[data-testid=kb-suggestion-list]")
    suggestions.wait_for()
    assert "如何重新开具发票" in suggestions.inner_text()
    assert "内部" not in page.locator("[data-testid=kb-suggest]").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "kb-portal-suggestions.png"), full_page=True)
    with page.expect_popup() as opened:
        suggestions.locator("a").first.click()
    article = opened.value
    article.wait_for_load_state()
    assert article.locator("h1").inner_text() == "如何重新开具发票"
    assert page.locator("#id_subject").input_value() == "发票开错了"  # the form kept its text
    assert SuggestionOpen.objects.filter(visit__user__username="kunde").count() == 1
    article.close()

    # An agent answering a ticket inserts the article's link into the reply.
    ticket = desk.ticket(Department.objects.get(code="SUPPORT"), contact_=contact_of("kunde"))
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "autor")
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/desk/tickets/{ticket.pk}/")
    page.locator("#kb-reply-q").press_sequentially("发票", delay=30)
    page.locator("#kb-reply-results >> text=Insert link").first.click()
    reply = page.locator("form[action$='/reply/'] textarea[name=body]").input_value()
    assert reply.startswith("[如何重新开具发票](") and "/portal/help/articles/" in reply
    page.screenshot(path=str(ARTIFACTS / "kb-reply-tool.png"), full_page=True)
