"""Usage pages, the account panel, acknowledgement (409 when stale), admin pages, the task."""

from datetime import UTC, datetime, timedelta

from django.test import RequestFactory

from kehu.conftest import client_for
from kehu.usage import selectors, swings, tasks
from kehu.usage.models import DetectionRun, Product, SwingAlert, SwingRule
from kehu.usage.panel import usage_panel_context
from kehu.usage.tests.conftest import days, rule, write


def recent(account, products):
    today = selectors.today()
    write(account, products["vm"], days(today, 120, 10), spend=True)
    write(account, products["oss"], days(today, 30, 2))
    return today


def test_account_page_draws_svg_charts_with_chinese_labels_and_a_table(
    world, account, products, django_assert_max_num_queries
):
    recent(account, products)
    client = client_for(world.after_sales)
    with django_assert_max_num_queries(14):
        response = client.get(f"/usage/accounts/{account.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 4
    assert "Cloud servers" in html and "对象存储" in html  # English names when there are
    assert "<script" not in html.split("<main", 1)[-1].split("</main>")[0]
    assert 'role="img"' in html and "<desc" in html and "<details>" in html
    assert "cdn" not in html.lower().split("<main", 1)[-1] or "pygal" not in html


def test_account_page_long_term_by_month_and_share_of_wallet(world, account, products):
    today = recent(account, products)
    from kehu.usage.models import UsageRecord

    UsageRecord.objects.filter(account=account, day__gte=today - timedelta(days=9)).update(
        total_spend=40
    )  # spend 20 of 40 on those days: half the wallet
    response = client_for(world.admin).get(f"/usage/accounts/{account.pk}/?long=month")
    assert response.status_code == 200
    assert response.context["share_90"] == 50
    assert "Usage over two years, by month" in response.content.decode()


def test_account_page_is_for_dossier_readers(world, account, products):
    url = f"/usage/accounts/{account.pk}/"
    assert client_for(world.account_manager).get(url).status_code == 200  # the owner
    assert client_for(world.agent).get(url).status_code == 403
    assert client_for(world.customer_a).get(url).status_code == 404


def test_export_reimports_unchanged(world, account, products):
    recent(account, products)
    response = client_for(world.after_sales).get(f"/usage/accounts/{account.pk}/export/")
    assert response.status_code == 200
    from kehu.usage.imports import import_usage

    result = import_usage(filename="u.csv", data=response.content)
    assert result.ok and result.created == 0 and result.updated == 150
    assert (
        client_for(world.after_sales)
        .get(f"/usage/accounts/{account.pk}/export/?format=xlsx")
        .status_code
        == 200
    )


def test_import_page_dry_run(world, account, products):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = f"account,product,day,quantity\n{account.pk},cloud-server,2026-03-01,5\n".encode()
    client = client_for(world.account_manager)
    response = client.post(
        "/usage/import/", {"file": SimpleUploadedFile("u.csv", data), "dry_run": "on"}
    )
    assert response.status_code == 200
    assert "Check passed" in response.content.decode()
    bad = client.post("/usage/import/", {"file": SimpleUploadedFile("u.csv", b"account\nx\n")})
    assert bad.status_code == 422
    assert client_for(world.agent).get("/usage/import/").status_code == 403


def test_panel_shows_chart_share_and_open_alerts_in_few_queries(
    world, account, products, django_assert_max_num_queries
):
    today = recent(account, products)
    rule()
    write(account, products["oss"], days(today - timedelta(days=40), 14, 2))
    SwingAlert.objects.create(
        account=account,
        product=products["vm"],
        rule=SwingRule.objects.get(),
        day=today,
        baseline_value=70,
        current_value=140,
        change_percent=100,
    )
    request = RequestFactory().get("/")
    request.user = world.after_sales
    with django_assert_max_num_queries(6):
        context = usage_panel_context(request, account)
    assert context is not None
    assert "对象存储" in context["usage_chart"].svg
    assert len(context["usage_alerts"]) == 1
    request.user = world.agent
    assert usage_panel_context(request, account) is None


def test_acknowledge_with_a_note_and_409_on_a_stale_version(world, account, products):
    alert = SwingAlert.objects.create(
        account=account,
        product=products["vm"],
        rule=rule(),
        day=selectors.today(),
        baseline_value=10,
        current_value=0,
        change_percent=-100,
    )
    client = client_for(world.account_manager)
    url = f"/usage/alerts/{alert.pk}/acknowledge/"
    response = client.post(url, {"version": alert.version, "note": "客户迁出一部分业务"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == SwingAlert.Status.ACKNOWLEDGED and alert.note == "客户迁出一部分业务"
    stale = client.post(url, {"version": 1, "note": "again"})
    assert stale.status_code == 409
    assert client.get(url).status_code == 405
    assert client_for(world.agent).post(url, {"version": 2}).status_code in (403, 404)


def test_alert_list_filters_and_shows_only_readable_accounts(
    world, account, products, django_assert_max_num_queries
):
    from kehu.customers.models import Account

    other = Account.objects.create(name="别人的客户")
    r = rule()
    for acc in (account, other):
        SwingAlert.objects.create(
            account=acc,
            product=products["vm"],
            rule=r,
            day=selectors.today(),
            baseline_value=1,
            current_value=2,
            change_percent=100,
        )
    client = client_for(world.account_manager)
    with django_assert_max_num_queries(10):
        response = client.get("/usage/alerts/")
    html = response.content.decode()
    assert "华东电商有限公司" in html and "别人的客户" not in html
    response = client_for(world.after_sales).get(
        "/usage/alerts/", {"status": "acknowledged", "product": "", "rule": ""}
    )
    assert response.context["alerts"] == []


def test_admin_pages_for_products_and_rules(world, products):
    client = client_for(world.admin)
    assert client.get("/usage/products/").status_code == 200
    response = client.post(
        "/usage/products/new/", {"code": "cdn", "name": "内容分发", "unit": "TB", "is_active": "on"}
    )
    assert response.status_code == 302
    cdn = Product.objects.get(code="cdn")
    edit = f"/usage/products/{cdn.pk}/edit/"
    fields = {"code": "cdn", "name": "CDN", "is_active": "on"}
    assert client.post(edit, {**fields, "version": 1}).status_code == 302
    assert client.post(edit, {**fields, "version": 1}).status_code == 409
    response = client.post(
        "/usage/rules/new/",
        {
            "name": "同工作日",
            "metric": "spend",
            "baseline": "same_weekday",
            "baseline_weeks": 4,
            "threshold_percent": 40,
            "product": cdn.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert client.get("/usage/rules/").status_code == 200
    assert client_for(world.after_sales).get("/usage/rules/").status_code == 403


def test_the_daily_task_runs_once_after_six_and_is_one_query_when_done(
    world, account, products, django_assert_num_queries
):
    rule()
    # 07:00 in Shanghai on 16 March: yesterday is the 15th.
    morning = datetime(2026, 3, 15, 23, 0, tzinfo=UTC)
    write(account, products["vm"], days(morning.date() - timedelta(days=7), 7, 10))
    write(account, products["vm"], days(morning.date(), 7, 30))
    night = datetime(2026, 3, 15, 20, 0, tzinfo=UTC)  # 04:00 local: too early
    assert tasks.run_daily(night) is None
    assert tasks.run_daily(morning) == 1
    assert DetectionRun.objects.get().day.isoformat() == "2026-03-15"
    with django_assert_num_queries(1):
        assert tasks.run_daily(morning + timedelta(hours=3)) is None
    assert (
        "kehu.usage.tasks.run_swing_detection"
        in __import__("kehu.core.schedule", fromlist=["x"]).PERIODIC_TASKS
    )


def test_detect_swings_command(world, account, products):
    from io import StringIO

    from django.core.management import call_command

    rule()
    out = StringIO()
    call_command("detect_swings", "--day", "2026-03-15", stdout=out)
    assert "2026-03-15: 0 new swing alerts." in out.getvalue()
    assert swings.detect  # the command runs the same detection


def test_the_account_page_shows_the_usage_panel_to_dossier_readers_only(world, account, products):
    recent(account, products)
    url = f"/customers/accounts/{account.pk}/"
    html = client_for(world.after_sales).get(url).content.decode()
    assert 'data-testid="usage-panel"' in html and "对象存储" in html
    assert 'data-testid="usage-panel"' not in client_for(world.agent).get(url).content.decode()
