"""A report document as PDF (reportlab) and XLSX (openpyxl).

The PDF uses reportlab's built-in CID font STSong-Light for Chinese: PDF readers carry the
Adobe-GB1 glyphs, so nothing needs embedding and the text stays extractable and searchable.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from kehu.insight import charts
from kehu.insight.presentation import Document

CJK_FONT = "STSong-Light"
_registered = False


def _register() -> None:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
        _registered = True


def pdf(doc: Document, pictures: dict[str, bytes] | None = None) -> bytes:
    """The document as an A4 PDF with its charts and tables."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register()
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10, leading=15, wordWrap="CJK")
    heading = ParagraphStyle(
        "h2", parent=body, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4
    )
    title = ParagraphStyle("h1", parent=body, fontSize=18, leading=24)
    muted = ParagraphStyle("muted", parent=body, fontSize=8.5, textColor=colors.grey)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11)
    pictures = pictures if pictures is not None else chart_pictures(doc)
    story: list[Any] = [
        Paragraph(escape(doc.title), title),
        Paragraph(escape(doc.subtitle), muted),
        Spacer(1, 4 * mm),
        Paragraph(escape(doc.summary), body),
    ]
    width = A4[0] - 30 * mm
    for section in doc.sections:
        story.append(Paragraph(escape(section.title), heading))
        if section.empty:
            story.append(Paragraph(escape(_empty()), muted))
            continue
        if section.key in pictures:
            image = Image(io.BytesIO(pictures[section.key]))
            scale = min(1.0, width / image.imageWidth)
            image.drawWidth, image.drawHeight = (
                image.imageWidth * scale * 0.8,
                image.imageHeight * scale * 0.8,
            )
            story.append(image)
        data = [[Paragraph(escape(str(h)), cell) for h in section.header]]
        data += [
            [Paragraph(escape("" if v is None else str(v)), cell) for v in row]
            for row in section.rows
        ]
        table = Table(data, repeatRows=1, hAlign="LEFT")
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e5e7eb")),
                    ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9ca3af")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        story.append(table)
        if section.note:
            story.append(Paragraph(escape(section.note), muted))
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=doc.title, author="Kehu"
    ).build(story)
    return buffer.getvalue()


def _empty() -> str:
    from django.utils.translation import gettext as _

    return _("No data in this period.")


def chart_pictures(doc: Document) -> dict[str, bytes]:
    """PNG of each section's chart, by section key."""
    return {s.key: charts.png(s.chart, s.title) for s in doc.sections if s.chart is not None}


def xlsx(doc: Document) -> bytes:
    """One sheet per section (plus the summary), headers in bold."""
    book = Workbook()
    first = book.active
    if first is None:  # a new workbook always has its first sheet
        first = book.create_sheet()
    first.title = "summary"
    first.append([doc.title])
    first.append([doc.subtitle])
    first.append([doc.summary])
    first["A1"].font = Font(bold=True, size=14)
    for index, section in enumerate(doc.sections, start=1):
        sheet = book.create_sheet(f"{index:02d} {section.key}"[:31])
        sheet.append([section.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(section.header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        if section.empty:
            sheet.append([_empty()])
        for row in section.rows:
            sheet.append([_safe(v) for v in row])
        if section.note:
            sheet.append([])
            sheet.append([section.note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe(value: Any) -> Any:
    """Text starting like a formula is kept as text (names come from users)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not _numeric(value):
        return "'" + value
    return value


def _numeric(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def table(title: str, header: list[str], rows: list[list[Any]]) -> bytes:
    """One table as XLSX: numbers stay numbers, text that looks like a formula stays text."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31] or "table")
    sheet.append(list(header))
    for row in rows:
        sheet.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
