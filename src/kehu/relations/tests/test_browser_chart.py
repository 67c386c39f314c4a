"""The org chart in Chromium: drag one person under another and see it saved."""

import pytest
from django.conf import settings

from kehu.core.tests.test_browser import browser_page, demo_dossier  # noqa: F401  (fixtures)
from kehu.customers.models import Account, Contact
from kehu.demo import DEMO_PASSWORD
from kehu.relations import services
from kehu.relations.models import Person


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, available_apps=settings.INSTALLED_APPS)
def test_drag_a_person_under_another(browser_page):  # noqa: F811
    page, base = browser_page
    account = Account.objects.create(name="拖拽测试公司")
    made = {}
    for name in ("王总", "李总监", "赵经理"):
        contact = Contact.objects.create(account=account, name=name)
        made[name] = services.person_create(account=account, contact=contact)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "lead")  # after-sales: edits every map
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/relations/accounts/{account.pk}/")
    source = f"li[data-person='{made['赵经理'].pk}'] > .orgchart-card"
    target = f"li[data-person='{made['李总监'].pk}'] > .orgchart-card"
    page.drag_and_drop(source, target)
    page.wait_for_selector(f"li[data-person='{made['赵经理'].pk}'][data-saved='1']")
    assert Person.objects.get(pk=made["赵经理"].pk).reports_to_id == made["李总监"].pk
    nested = page.locator(f"li[data-person='{made['李总监'].pk}'] li[data-person]")
    assert nested.count() == 1
    # A loop is refused with a message, and nothing changes.
    page.drag_and_drop(target, source)
    message = page.locator("[data-testid=chart-message]")
    message.filter(has_text="loop").wait_for()
    assert Person.objects.get(pk=made["李总监"].pk).reports_to_id is None
