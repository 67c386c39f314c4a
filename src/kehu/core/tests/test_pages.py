"""The shared view helpers (kehu.core.pages) that every app's pages use."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory

from kehu.core.concurrency import StaleVersionError
from kehu.core.pages import list_page, table_download, try_save, uploaded_import


class UploadForm(forms.Form):
    file = forms.FileField()
    dry_run = forms.BooleanField(required=False)


class NoteForm(forms.Form):
    note = forms.CharField()


def test_a_table_downloads_as_csv_or_xlsx_and_nothing_else() -> None:
    csv = table_download(["名称", "n"], [["发票", 1]], "csv", "kehu-test")
    assert csv["Content-Type"] == "text/csv; charset=utf-8"
    assert csv["Content-Disposition"] == 'attachment; filename="kehu-test.csv"'
    assert "发票" in csv.content.decode("utf-8-sig")
    xlsx = table_download(["a"], [[1]], "xlsx", "kehu-test")
    assert xlsx["Content-Disposition"] == 'attachment; filename="kehu-test.xlsx"'
    assert xlsx.content[:2] == b"PK"  # a zip archive, as XLSX files are
    with pytest.raises(Http404):
        table_download(["a"], [], "pdf", "kehu-test")


def test_an_import_runs_only_for_a_valid_upload_within_the_size_limit(settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 10
    calls: list[dict[str, Any]] = []

    def importer(**kwargs: Any) -> str:
        calls.append(kwargs)
        return "done"

    rf = RequestFactory()
    assert uploaded_import(rf.get("/"), UploadForm(), importer) is None

    small = SimpleUploadedFile("a.csv", b"x,y\n")
    request = rf.post("/", {"file": small, "dry_run": "on"})
    form = UploadForm(request.POST, request.FILES)
    assert uploaded_import(request, form, importer) == "done"
    assert calls == [{"filename": "a.csv", "data": b"x,y\n", "dry_run": True}]

    large = SimpleUploadedFile("b.csv", b"0123456789abc")
    request = rf.post("/", {"file": large})
    form = UploadForm(request.POST, request.FILES)
    assert uploaded_import(request, form, importer) is None
    assert "larger than 10 bytes" in str(form.errors["file"])
    assert len(calls) == 1


def test_a_refused_save_says_why_on_the_form_with_its_status() -> None:
    def stale() -> None:
        raise StaleVersionError(SimpleNamespace(version=3))  # type: ignore[arg-type]

    def invalid() -> None:
        raise ValidationError({"note": "Too short."})

    form = NoteForm({"note": "x"})
    assert form.is_valid()
    assert try_save(form, lambda: None) is None
    assert try_save(form, stale) == 409
    assert "now at version 3" in form.non_field_errors()[0]
    form = NoteForm({"note": "x"})
    assert form.is_valid()
    assert try_save(form, invalid, invalid=422) == 422
    assert form.errors["note"] == ["Too short."]


def test_a_list_page_shows_the_first_rows_and_says_whether_there_are_more(
    monkeypatch: Any,
) -> None:
    shown: dict[str, Any] = {}

    def render(request: Any, template: str, context: dict[str, Any]) -> Any:
        shown.update(template=template, **context)
        return SimpleNamespace(status_code=200)

    monkeypatch.setattr("kehu.core.pages.render", render)
    request = RequestFactory().get("/")
    list_page(request, list(range(5)), name="rows", template="full.html", page_size=3, x=1)
    assert shown == {"template": "full.html", "rows": [0, 1, 2], "more": True, "x": 1}
    request.htmx = True  # type: ignore[attr-defined]
    list_page(request, [1], name="rows", template="full.html", rows_template="rows.html")
    assert shown["template"] == "rows.html" and shown["more"] is False


@pytest.mark.parametrize(
    ("route", "heading"),
    [
        ("org:import", "Import departments or employees"),
        ("customers:account-import", "Import accounts"),
        ("customers:contact-import", "Import contacts"),
        ("dossier:import", "Import dossier entries"),
        ("usage:import", "Import usage"),
        ("pipeline:import", "Import opportunities"),
        ("relations:import", "Import the org map"),
    ],
)
def test_every_import_page_has_its_heading_its_columns_and_the_one_upload_form(
    world: Any, route: str, heading: str
) -> None:
    from django.test import Client
    from django.urls import reverse

    from kehu.customers.models import Account

    args = (
        [Account.objects.create(name="华东物流有限公司").pk] if route == "relations:import" else []
    )
    client = Client()
    client.force_login(world.admin)
    page = client.get(reverse(route, args=args), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in text
    assert "<summary>Columns</summary>" in text and "<code>" in text
    assert text.count('enctype="multipart/form-data"') == 1
    # After a broken upload the same page lists the rows to fix and imports nothing.
    broken = SimpleUploadedFile("rows.csv", b"no,such,columns\n1,2,3\n", "text/csv")
    answer = client.post(
        reverse(route, args=args), {"file": broken, "kind": "employees"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 422
    assert "Nothing was imported. Fix these rows" in answer.content.decode()
