"""The pipeline pages as the sales team uses them: a fixed number of queries, refusals shown."""

import io
from decimal import Decimal

from openpyxl import load_workbook

from kehu.conftest import client_for
from kehu.pipeline import services
from kehu.pipeline.models import Opportunity
from kehu.pipeline.tests.factories import opportunity, sales, stage
from kehu.relations.tests.factories import person


def _many(s, count, start=0):
    for n in range(start, start + count):
        found = opportunity(s.account, f"商机{n}", member_ids=[s.colleague.pk], sr=s.colleague)
        services.competitor_add(opportunity=found, name=f"友商{n}")
        if n % 2:
            services.opportunity_move(
                opportunity=found, version=1, to_stage=stage("solution"), by=None
            )


def _same_cost(client, url, s, django_assert_max_num_queries, limit):
    _many(s, 3)
    client.get(url)  # warm the session and the user's caches
    with django_assert_max_num_queries(limit) as small:
        assert client.get(url).status_code == 200
    _many(s, 20, start=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert page.status_code == 200
    return page.content.decode()


def test_the_board_costs_the_same_queries_whatever_the_size(world, django_assert_max_num_queries):
    s = sales(world)
    html = _same_cost(
        client_for(world.account_manager), "/pipeline/", s, django_assert_max_num_queries, 20
    )
    assert 'data-testid="column-qualify"' in html and "商机22" in html


def test_the_list_costs_the_same_queries_whatever_the_size(world, django_assert_max_num_queries):
    s = sales(world)
    html = _same_cost(
        client_for(world.account_manager),
        "/pipeline/opportunities/?q=商机",
        s,
        django_assert_max_num_queries,
        14,
    )
    assert "商机22" in html


def test_the_opportunity_page_costs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    s = sales(world)
    found = opportunity(s.account, member_ids=[s.colleague.pk])
    client = client_for(world.account_manager)
    url = f"/pipeline/opportunities/{found.pk}/"
    client.get(url)
    with django_assert_max_num_queries(22) as small:
        assert client.get(url).status_code == 200
    for n in range(8):
        services.competitor_add(opportunity=found, name=f"友商{n}")
        someone = person(s.account, f"客户{n}")
        services.role_set(opportunity=found, person=someone, role="user")
    found.refresh_from_db()
    services.opportunity_move(
        opportunity=found, version=found.version, to_stage=stage("bid"), by=None
    )
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = client.get(url)
    assert "友商7" in page.content.decode() and "客户7" in page.content.decode()


def test_a_board_move_saves_or_says_why_not(world):
    s = sales(world)
    found = opportunity(s.account)
    client = client_for(world.account_manager)
    url = f"/pipeline/opportunities/{found.pk}/move/"
    headers = {"Accept": "application/json"}
    moved = client.post(url, {"stage": stage("bid").pk, "version": 1}, headers=headers)
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = client.post(url, {"stage": stage("solution").pk, "version": 1}, headers=headers)
    assert stale.status_code == 409 and "version 2" in stale.json()["message"]
    won = client.post(url, {"stage": stage("won").pk, "version": 2}, headers=headers)
    assert won.status_code == 422 and won.json()["message"]
    found.refresh_from_db()
    assert found.stage.code == "bid"
    # The page's form: the reason given, the deal is won.
    done = client.post(
        url, {"stage": stage("won").pk, "version": 2, "win_loss_reason": "relationship"}
    )
    assert done.status_code == 302
    found.refresh_from_db()
    assert found.stage.code == "won"


def test_the_refusal_is_in_the_users_language(world):
    world.account_manager.language = "zh-hans"
    world.account_manager.save()
    found = opportunity(sales(world).account)
    response = client_for(world.account_manager).post(
        f"/pipeline/opportunities/{found.pk}/move/",
        {"stage": stage("qualify").pk, "version": 1},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409
    assert response.json()["message"] == "该商机已处于这个阶段。"


def test_the_account_page_lists_open_opportunities(world):
    s = sales(world)
    opportunity(s.account, "开着的")
    closed = opportunity(s.account, "丢掉的")
    services.opportunity_move(
        opportunity=closed, version=1, to_stage=stage("lost"), by=None, win_loss_reason="price"
    )
    panel = _panel(client_for(world.account_manager), s.account.pk)
    assert "开着的" in panel and "丢掉的" not in panel
    # Staff off the deal see the panel without it.
    assert "开着的" not in _panel(client_for(world.employee), s.account.pk)


def _panel(client, account_id):
    page = client.get(f"/customers/accounts/{account_id}/").content.decode()
    start = page.index('data-testid="pipeline-panel"')
    return page[start : page.index("</section>", start)]


def test_create_edit_and_export(world):
    s = sales(world)
    client = client_for(world.account_manager)
    page = client.get(f"/pipeline/opportunities/new/?account={s.account.pk}")
    assert page.status_code == 200
    created = client.post(
        "/pipeline/opportunities/new/",
        {
            "account": s.account.pk,
            "name": "网页商机",
            "amount": "5000",
            "currency": "EUR",
            "expected_close": "2031-01-31",
            "ar": s.owner.pk,
        },
    )
    assert created.status_code == 302
    found = Opportunity.objects.get(name="网页商机")
    refused = client.post(
        f"/pipeline/opportunities/{found.pk}/edit/",
        {
            "name": "网页商机",
            "amount": "5000",
            "currency": "EUR",
            "expected_close": "2031-01-31",
            "probability_override": "90",
            "version": 1,
        },
    )
    assert refused.status_code == 200 and "probability" in refused.content.decode()
    export = client.get("/pipeline/opportunities/export.xlsx?q=网页")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "account", "name") and rows[1][2] == "网页商机"
    assert Decimal(rows[1][3]) == Decimal("5000.00")


def test_leads_pages_and_conversion(world):
    s = sales(world)
    client = client_for(world.account_manager)
    created = client.post(
        "/pipeline/leads/new/",
        {"title": "官网咨询", "source": "website", "account": s.account.pk, "status": "new"},
    )
    assert created.status_code == 302
    lead = services.Lead.objects.get()
    assert "官网咨询" in client.get("/pipeline/leads/").content.decode()
    converted = client.post(
        f"/pipeline/leads/{lead.pk}/convert/",
        {"version": 1, "amount": "300", "currency": "CNY", "expected_close": "2031-03-01"},
    )
    assert converted.status_code == 302
    assert Opportunity.objects.get().account == s.account


def test_forecast_and_conversion_pages_render_the_chart_and_tables(world):
    s = sales(world)
    opportunity(s.account, amount="1000")
    client = client_for(world.lead)
    page = client.get("/pipeline/forecast/?group=department&period=quarter").content.decode()
    assert "<svg" in page and 'data-testid="forecast-table"' in page
    page = client.get("/pipeline/conversion/").content.decode()
    assert 'data-testid="conversion-table"' in page
