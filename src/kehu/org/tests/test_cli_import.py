import pytest
from typer.testing import CliRunner

from kehu.cli import app
from kehu.org.models import Department

pytestmark = pytest.mark.django_db


def test_cli_import_lists_bad_rows_and_exits_nonzero(tmp_path):
    bad = tmp_path / "d.csv"
    bad.write_text("code,name\nGOOD,好\nbad code,坏\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "departments", str(bad)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output and "│ 3" in result.output
    assert not Department.objects.filter(code="GOOD").exists()

    good = tmp_path / "ok.csv"
    good.write_text("code,name\nGOOD,好\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import", "departments", str(good)])
    assert result.exit_code == 0, result.output
    assert Department.objects.get(code="GOOD").name == "好"
