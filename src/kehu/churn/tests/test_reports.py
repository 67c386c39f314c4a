"""The churn report: grouping by class × period, owner and department; export; who sees it."""

from datetime import date
from decimal import Decimal

import pytest

from kehu.churn.selectors import churn_report
from kehu.churn.tests import factories as f
from kehu.conftest import client_for
from kehu.core.tabular import read_table
from kehu.customers.services import account_change_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def churned(world):
    """Four reviews in 2025: two of 张伟 (support), one of 李娜 (finance), one without owner."""
    zhang = f.owner(world.support, name="张伟", name_en="Wei Zhang")
    li = f.owner(world.finance, name="李娜", name_en="Na Li")
    a = f.review(
        f.account("甲物流", owner=zhang),
        noticed_on=date(2025, 1, 10),
        revenue_before=Decimal("100000"),
        attribution="business_ended",
    )
    b = f.review(
        f.account("乙电商", owner=zhang),
        kind="shrinking",
        noticed_on=date(2025, 2, 20),
        revenue_before=Decimal("500000"),
        revenue_after=Decimal("200000"),
        attribution="commercial",
        competitor="云帆科技",
    )
    c = f.review(
        f.account("丙银行", owner=li),
        noticed_on=date(2025, 4, 5),
        revenue_before=Decimal("80000.50"),
        attribution="service_capability",
        cause_operations=True,
    )
    d = f.review(f.account("丁制造"), kind="shrinking", noticed_on=date(2025, 4, 20))
    return {"zhang": zhang, "li": li, "reviews": (a, b, c, d)}


def _rows(rows, *fields):
    return [tuple(getattr(r, name) for name in fields) for r in rows]


def test_by_class_and_month(world, churned):
    report = churn_report(world.admin, period="month")
    assert _rows(report.by_class, "period", "group_key", "reviews", "revenue_lost") == [
        ("2025-01", "business_ended", 1, Decimal("100000.00")),
        ("2025-02", "commercial", 1, Decimal("300000.00")),
        ("2025-04", "", 1, Decimal("0.00")),
        ("2025-04", "service_capability", 1, Decimal("80000.50")),
    ]
    assert report.total_reviews == 4


def test_by_class_and_quarter_and_year(world, churned):
    quarter = churn_report(world.admin, period="quarter")
    assert _rows(quarter.by_class, "period", "group_key", "lost", "shrinking") == [
        ("2025 Q1", "business_ended", 1, 0),
        ("2025 Q1", "commercial", 0, 1),
        ("2025 Q2", "", 0, 1),
        ("2025 Q2", "service_capability", 1, 0),
    ]
    year = churn_report(world.admin, period="year")
    assert {r.period for r in year.by_class} == {"2025"}
    assert sum(r.revenue_lost for r in year.by_class) == Decimal("480000.50")


def test_by_owner_and_department_at_the_review(world, churned):
    # A later handover does not move the churn to the new owner.
    a = churned["reviews"][0]
    account_change_owner(account=a.account, owner=churned["li"], reason="交接")
    report = churn_report(world.admin)
    owners = {r.name: (r.reviews, r.revenue_lost) for r in report.by_owner}
    assert owners == {
        "张伟": (2, Decimal("400000.00")),
        "李娜": (1, Decimal("80000.50")),
        "No owner": (1, Decimal("0.00")),
    }
    departments = {r.group_key: r.reviews for r in report.by_department}
    assert departments == {world.support.pk: 2, world.finance.pk: 1, None: 1}


def test_date_range(world, churned):
    report = churn_report(world.admin, date_from=date(2025, 2, 1), date_to=date(2025, 4, 10))
    assert sorted(r.group_key for r in report.by_class) == ["commercial", "service_capability"]


def test_lead_sees_only_their_departments_and_those_below(world, churned):
    # The lead leads after-sales; support sits below it; finance is someone else's.
    report = churn_report(world.lead)
    assert {r.name for r in report.by_owner} == {"张伟"}
    assert {r.group_key for r in report.by_department} == {world.support.pk}
    assert report.total_reviews == 2


def test_report_page_in_a_fixed_number_of_queries(world, churned, django_assert_max_num_queries):
    client = client_for(world.admin)
    with django_assert_max_num_queries(8):
        response = client.get("/churn/report/?period=quarter")
    assert response.status_code == 200
    body = response.content.decode()
    assert "2025 Q1" in body and "Wei Zhang" in body


def test_report_rejects_a_backwards_range(world):
    response = client_for(world.admin).get("/churn/report/?date_from=2025-05-01&date_to=2025-01-01")
    assert response.status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_round_trips_chinese_names(world, churned, fmt):
    response = client_for(world.after_sales).get(f"/churn/report/export/?period=year&format={fmt}")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    rows = read_table(f"report.{fmt}", response.content, required=["group", "reviews"])
    groups = {r.values["group"] for r in rows}
    assert {"张伟", "李娜", "客户服务中心", "财务部"} <= groups
    assert {"Wei Zhang", "Support"} <= {r.values["english name"] for r in rows}
    commercial = next(r for r in rows if r.values["group"].startswith("Commercial"))
    assert commercial.values["period"] == "2025"
    assert commercial.values["yearly revenue lost"] == "300000.00"


def test_export_in_chinese(world, churned):
    world.after_sales.language = "zh-hans"
    world.after_sales.save()
    response = client_for(world.after_sales).get(
        "/churn/report/export/?format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    assert "张伟" in response.content.decode("utf-8-sig")


def test_unknown_export_format_is_404(world):
    assert client_for(world.admin).get("/churn/report/export/?format=pdf").status_code == 404


@pytest.mark.parametrize(
    "persona,status",
    [
        ("admin", 200),
        ("after_sales", 200),
        ("auditor", 200),
        ("lead", 200),
        ("agent", 403),
        ("employee", 403),
        ("account_manager", 403),
        ("customer_a", 403),
        ("outsider", 403),
    ],
)
def test_who_sees_the_report(world, persona, status):
    client = client_for(getattr(world, persona))
    assert client.get("/churn/report/").status_code == status
    assert client.get("/churn/report/export/?format=csv").status_code == status
    assert client.get("/api/churn/report").status_code == status
