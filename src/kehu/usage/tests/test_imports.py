"""Usage import: dry run, errors by line, nothing partial, upsert, XLSX with Chinese names."""

import io
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook

from kehu.customers.models import Account
from kehu.usage.imports import import_usage
from kehu.usage.models import UsageRecord

HEADER = "account,product,day,quantity,spend,total_spend\n"


def csv_bytes(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def test_dry_run_counts_and_writes_nothing(account, products):
    data = csv_bytes(
        f"{account.pk},cloud-server,2026-03-01,10,20,40",
        "华东电商有限公司,object-storage,2026-03-01,1.5,,",
    )
    result = import_usage(filename="u.csv", data=data, dry_run=True)
    assert result.ok and result.dry_run
    assert (result.created, result.updated) == (2, 0)
    assert not UsageRecord.objects.exists()


def test_errors_name_the_line_and_column_and_nothing_is_imported(account, products):
    data = csv_bytes(
        f"{account.pk},cloud-server,2026-03-01,10,,",
        "没有这个客户,cloud-server,2026-03-01,10,,",
        f"{account.pk},no-such,2026-03-01,10,,",
        f"{account.pk},cloud-server,01/03/2026,10,,",
        f"{account.pk},cloud-server,2026-03-02,-1,,",
        f"{account.pk},cloud-server,2026-03-01,11,,",
    )
    result = import_usage(filename="u.csv", data=data)
    assert [(e.line, e.column) for e in result.errors] == [
        (3, "account"),
        (4, "product"),
        (5, "day"),
        (6, "quantity"),
        (7, "day"),
    ]
    assert "没有这个客户" in result.errors[0].message
    assert "line 2" in result.errors[-1].message
    assert (result.created, result.updated) == (0, 0)
    assert not UsageRecord.objects.exists()


def test_reimporting_a_day_replaces_it(account, products):
    first = csv_bytes(f"{account.pk},cloud-server,2026-03-01,10,20,")
    assert import_usage(filename="u.csv", data=first).created == 1
    again = csv_bytes(
        f"{account.pk},cloud-server,2026-03-01,12.5,25,50",
        f"{account.pk},cloud-server,2026-03-02,13,,",
    )
    result = import_usage(filename="u.csv", data=again)
    assert (result.created, result.updated) == (1, 1)
    record = UsageRecord.objects.get(day=date(2026, 3, 1))
    assert (record.quantity, record.spend, record.total_spend) == (
        Decimal("12.5"),
        Decimal(25),
        Decimal(50),
    )
    assert UsageRecord.objects.count() == 2


def test_xlsx_with_chinese_account_names_and_excel_dates(account, products):
    other = Account.objects.create(name="西南游戏工作室")
    book = Workbook()
    sheet = book.active
    sheet.append(["Account", "Product", "Day", "Quantity", "Spend", "Total_spend"])
    sheet.append(["华东电商有限公司", "cloud-server", datetime(2026, 3, 1), 10, 9.5, None])  # noqa: DTZ001
    sheet.append(["西南游戏工作室", "CLOUD-SERVER", 46082, 3, None, None])  # an Excel serial
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_usage(filename="用量.xlsx", data=buffer.getvalue())
    assert result.ok, result.errors
    assert UsageRecord.objects.get(account=account).day == date(2026, 3, 1)
    assert UsageRecord.objects.get(account=other).day == date(2026, 3, 1)


def test_gb18030_csv_and_a_missing_column(account, products):
    data = ("account,product,day,quantity\n华东电商有限公司,cloud-server,2026-03-01,1\n").encode(
        "gb18030"
    )
    assert import_usage(filename="u.csv", data=data).created == 1
    result = import_usage(filename="u.csv", data=b"account,product\n1,x\n")
    assert result.errors[0].line == 1 and "quantity" in result.errors[0].message
    assert not import_usage(filename="u.pdf", data=b"x").ok


def test_ambiguous_names_ask_for_the_id(account, products):
    Account.objects.create(name="重名公司")
    Account.objects.create(name="重名公司")
    result = import_usage(filename="u.csv", data=csv_bytes("重名公司,cloud-server,2026-03-01,1,,"))
    assert "id" in result.errors[0].message


def test_a_large_file_is_imported_in_batches(account, products, django_assert_max_num_queries):
    lines = [
        f"{account.pk},{code},{date.fromordinal(738000 + n).isoformat()},{n},,"
        for n in range(6000)
        for code in ("cloud-server", "object-storage")
    ]
    data = csv_bytes(*lines)
    # Batches of 5,000 rows: one existence check and one upsert each (which SQLite splits
    # into statements of at most 999 parameters), never a query per row.
    with django_assert_max_num_queries(100):
        result = import_usage(filename="u.csv", data=data)
    assert result.created == 12000
    assert UsageRecord.objects.count() == 12000
