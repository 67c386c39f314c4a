import pytest

from kehu.core.tabular import TableError, read_table, write_csv, write_xlsx
from kehu.core.text import pinyin_key


def test_pinyin_key_gives_syllables_and_initials_for_chinese_and_keeps_latin():
    assert pinyin_key("售后服务部") == "shouhoufuwubu shfwb"
    assert pinyin_key("ACME 华东").startswith("acme")
    assert "huadong" in pinyin_key("ACME 华东")


def test_chinese_names_sort_by_pronunciation():
    names = ["张伟", "安娜", "李娜", "白雪"]
    assert sorted(names, key=pinyin_key) == ["安娜", "白雪", "李娜", "张伟"]


@pytest.mark.parametrize("writer,filename", [(write_csv, "x.csv"), (write_xlsx, "x.xlsx")])
def test_export_then_import_round_trips_chinese_and_formula_like_cells(writer, filename):
    header = ["code", "name", "phone"]
    data = writer(header, [["FIN", "财务部", "+86 138 0000"], ["HR", "=HYPERLINK(1)", ""]])
    rows = read_table(filename, data, required=["code", "name"])
    assert [r.values for r in rows] == [
        {"code": "FIN", "name": "财务部", "phone": "+86 138 0000"},
        {"code": "HR", "name": "=HYPERLINK(1)", "phone": ""},
    ]


def test_csv_export_starts_with_bom_and_neutralises_formulas_for_spreadsheets():
    data = write_csv(["name"], [["=cmd()"]])
    assert data.startswith("\ufeff".encode())
    assert b"'=cmd()" in data


def test_gb18030_csv_from_chinese_excel_is_read():
    data = "code,name\nFIN,财务部\n".encode("gb18030")
    rows = read_table("depts.csv", data, required=["code"])
    assert rows[0].values["name"] == "财务部"
    assert rows[0].line == 2


@pytest.mark.parametrize(
    "filename,data,message",
    [
        ("a.pdf", b"x", "Upload a .csv or .xlsx file."),
        ("a.csv", b"", "The file is empty."),
        ("a.csv", b"name\nx\n", "Missing columns: code."),
        ("a.xlsx", b"not a zip", "The file is not a readable XLSX workbook."),
    ],
)
def test_unreadable_tables_are_refused_with_a_clear_message(filename, data, message):
    with pytest.raises(TableError, match=message):
        read_table(filename, data, required=["code"])
