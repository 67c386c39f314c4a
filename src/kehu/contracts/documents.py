"""Format contracts: a template's body with ``{{ placeholders }}`` and ``{{ clause:code }}``
references into the versioned clause library, rendered as Word (.docx, python-docx) and PDF
(reportlab with its built-in Adobe CID font STSong-Light, which renders Chinese without any
font file). An unknown placeholder or clause is refused with its name, when the template is
saved and again when a document is generated.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import formats, translation
from django.utils.translation import gettext as _

from kehu.contracts import elements as el
from kehu.contracts.models import (
    Clause,
    Contract,
    ContractTemplate,
    GuaranteeKind,
    LineKind,
    MilestoneTrigger,
    PaymentModel,
)

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
FIELDS = [
    "number",
    "title",
    "account",
    "our_party",
    "currency",
    "net_total",
    "tax_total",
    "total",
    "payment_model",
    "payment_days",
    "advance_percent",
    "guarantee",
    "delivery_place",
    "delivery_due",
    "delivery_method",
    "responsibilities",
    "acceptance_criteria",
    "initial_acceptance_due",
    "final_acceptance_due",
    "risk_transfer",
    "liability_cap_percent",
    "liability_terms",
    "force_majeure",
    "dispute_terms",
    "change_terms",
    "effective_on",
    "terminates_on",
    "special_terms",
]
BLOCKS = ["lines", "milestones"]


class TemplateError(ValidationError):
    """A template that cannot be rendered (unknown placeholders or clauses)."""


def _clauses(contract_type_id: int | None, codes: set[str]) -> dict[str, Clause]:
    """The newest version of each clause code usable for the type."""
    found: dict[str, Clause] = {}
    rows = Clause.objects.filter(code__in=codes).filter(
        Q(contract_type_id=contract_type_id) | Q(contract_type__isnull=True)
    )
    for clause in rows.order_by("code", "-version"):
        found.setdefault(clause.code, clause)
    return found


def placeholders(body: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(body)]


def validate_template(body: str, contract_type_id: int | None) -> None:
    """Refuse a body naming a placeholder or clause Kehu does not know (422, with the names)."""
    names = placeholders(body)
    unknown = [
        n for n in names if not n.startswith("clause:") and n not in FIELDS and n not in BLOCKS
    ]
    codes = {n.split(":", 1)[1].strip() for n in names if n.startswith("clause:")}
    missing = sorted(codes - set(_clauses(contract_type_id, codes)))
    problems = []
    if unknown:
        problems.append(
            _("Unknown placeholders: %(names)s. Known: %(known)s.")
            % {
                "names": ", ".join(f"{{{{ {n} }}}}" for n in dict.fromkeys(unknown)),
                "known": ", ".join(FIELDS + BLOCKS + ["clause:<code>"]),
            }
        )
    if missing:
        problems.append(
            _("No clause in the library with the code: %(codes)s.") % {"codes": ", ".join(missing)}
        )
    for line in body.splitlines():
        for name in placeholders(line):
            if name in BLOCKS and PLACEHOLDER.sub("", line).strip():
                problems.append(
                    _("{{ %(block)s }} must stand alone on its line.") % {"block": name}
                )
    if problems:
        raise TemplateError({"body": problems})


def clause_texts(template: ContractTemplate) -> list[str]:
    """The texts of the clauses a template pulls in (for the risk checks)."""
    codes = {
        n.split(":", 1)[1].strip() for n in placeholders(template.body) if n.startswith("clause:")
    }
    zh = template.language.startswith("zh")
    return [
        c.text_zh if zh else c.text_en for c in _clauses(template.contract_type_id, codes).values()
    ]


@dataclass
class Block:
    kind: str  # heading, paragraph, table
    text: str = ""
    rows: list[list[str]] | None = None


def _money(value: Any, currency: str) -> str:
    return f"{currency} {formats.number_format(value, 2, use_l10n=True, force_grouping=True)}"


def _values(contract: Contract) -> dict[str, str]:
    c = contract
    blank = "—"

    def day(value: Any) -> str:
        return value.isoformat() if value else blank

    return {
        "number": c.number,
        "title": c.title,
        "account": c.account.name,
        "our_party": c.our_party or blank,
        "currency": c.currency,
        "net_total": _money(c.net_total, c.currency),
        "tax_total": _money(c.tax_total, c.currency),
        "total": _money(c.gross_total, c.currency),
        "payment_model": str(PaymentModel(c.payment_model).label),
        "payment_days": str(c.payment_days),
        "advance_percent": f"{c.advance_percent} %",
        "guarantee": f"{GuaranteeKind(c.guarantee_kind).label} {c.guarantee_percent} %",
        "delivery_place": c.delivery_place or blank,
        "delivery_due": day(c.delivery_due),
        "delivery_method": c.delivery_method or blank,
        "responsibilities": c.responsibilities or blank,
        "acceptance_criteria": c.acceptance_criteria or blank,
        "initial_acceptance_due": day(c.initial_acceptance_due),
        "final_acceptance_due": day(c.final_acceptance_due),
        "risk_transfer": c.risk_transfer or blank,
        "liability_cap_percent": f"{c.liability_cap_percent} %"
        if c.liability_cap_percent is not None
        else blank,
        "liability_terms": c.liability_terms or blank,
        "force_majeure": c.force_majeure or blank,
        "dispute_terms": c.dispute_terms or blank,
        "change_terms": c.change_terms or blank,
        "effective_on": day(c.effective_on),
        "terminates_on": day(c.terminates_on),
        "special_terms": c.special_terms or blank,
    }


def _line_rows(contract: Contract) -> list[list[str]]:
    rows = [
        [
            _("No."),
            _("Product or service"),
            _("Quantity"),
            _("Unit price"),
            _("Discount %"),
            _("VAT %"),
            _("Amount"),
        ]
    ]
    for line in contract.lines.all():
        amounts = el.line_amounts(line)
        name = line.name + (f" ({line.configuration})" if line.configuration else "")
        if line.kind == LineKind.GIFT:
            name += " · " + str(LineKind.GIFT.label)
        rows.append(
            [
                str(line.position),
                name,
                f"{line.quantity.normalize():f} {line.unit}",
                _money(line.unit_price, contract.currency),
                str(line.discount_percent),
                str(line.tax_rate),
                _money(amounts.gross, contract.currency),
            ]
        )
    rows.append(
        [
            "",
            _("Total (tax included)"),
            "",
            "",
            "",
            "",
            _money(contract.gross_total, contract.currency),
        ]
    )
    return rows


def _milestone_rows(contract: Contract) -> list[list[str]]:
    rows = [[_("No."), _("Milestone"), _("Trigger"), _("Share %"), _("Amount"), _("Due")]]
    for m in contract.milestones.all():
        rows.append(
            [
                str(m.position),
                m.name,
                str(MilestoneTrigger(m.trigger).label),
                str(m.percent),
                _money(el.milestone_amount(contract.gross_total, m.percent), contract.currency),
                m.due_on.isoformat() if m.due_on else "—",
            ]
        )
    return rows


def render(contract: Contract) -> tuple[list[Block], list[Clause]]:
    """The contract's document as blocks, in its template's language, and the clauses used."""
    template = contract.template
    if template is None:
        raise ValidationError(_("A non-format contract has no template to generate from."))
    validate_template(template.body, template.contract_type_id)
    codes = {
        n.split(":", 1)[1].strip() for n in placeholders(template.body) if n.startswith("clause:")
    }
    clauses = _clauses(template.contract_type_id, codes)
    zh = template.language.startswith("zh")
    with translation.override(template.language):
        values = _values(contract)

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("clause:"):
                clause = clauses[name.split(":", 1)[1].strip()]
                return clause.text_zh if zh else clause.text_en
            return values[name]

        blocks: list[Block] = []
        for raw in template.body.splitlines():
            stripped = raw.strip()
            if not stripped:
                continue
            name = PLACEHOLDER.fullmatch(stripped)
            if name and name.group(1) == "lines":
                blocks.append(Block("table", rows=_line_rows(contract)))
            elif name and name.group(1) == "milestones":
                blocks.append(Block("table", rows=_milestone_rows(contract)))
            elif stripped.startswith("#"):
                blocks.append(Block("heading", PLACEHOLDER.sub(fill, stripped.lstrip("#").strip())))
            else:
                blocks.append(Block("paragraph", PLACEHOLDER.sub(fill, stripped)))
        used = sorted(clauses.values(), key=lambda c: c.code)
        if used:
            blocks.append(
                Block(
                    "note",
                    _("Clause library versions: %(list)s")
                    % {"list": ", ".join(f"{c.code} v{c.version}" for c in used)},
                )
            )
    return blocks, used


CJK_FONT = "Noto Serif CJK SC"


def to_docx(contract: Contract) -> bytes:
    """The contract as a Word document (Chinese text set in an East Asian font)."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    blocks, _clauses_used = render(contract)
    document = Document()
    normal = document.styles["Normal"]
    normal.font.size = Pt(10.5)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), CJK_FONT)
    document.core_properties.title = f"{contract.number} {contract.title}"
    for block in blocks:
        if block.kind == "heading":
            document.add_heading(block.text, level=1)
        elif block.kind == "table" and block.rows:
            table = document.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            table.style = "Table Grid"
            for r, row in enumerate(block.rows):
                cells = table.rows[r].cells
                for i, text in enumerate(row):
                    cells[i].text = text
        elif block.kind == "note":
            document.add_paragraph(block.text).runs[0].font.size = Pt(8)
        else:
            document.add_paragraph(block.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def to_pdf(contract: Contract) -> bytes:
    """The contract as PDF, set in reportlab's built-in STSong-Light (Chinese and Latin)."""
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=15, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=14, leading=20, spaceBefore=6)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=11)
    note = ParagraphStyle("note", parent=body, fontSize=7, textColor=colors.grey)
    blocks, _clauses_used = render(contract)
    story: list[Any] = []
    for block in blocks:
        if block.kind == "heading":
            story.append(Paragraph(escape(block.text), heading))
        elif block.kind == "table" and block.rows:
            table = Table(
                [[Paragraph(escape(t), cell) for t in row] for row in block.rows], repeatRows=1
            )
            table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey)]))
            story += [table, Spacer(1, 3 * mm)]
        else:
            story.append(Paragraph(escape(block.text), note if block.kind == "note" else body))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=A4,
        title=f"{contract.number} {contract.title}",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
    ).build(story)
    return out.getvalue()


def extract_text(name: str, data: bytes) -> str:
    """The words of an uploaded non-format contract (.docx or plain text; other files: none)."""
    lowered = name.lower()
    if lowered.endswith(".docx"):
        from docx import Document

        try:
            document = Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises several kinds for a broken file
            raise ValidationError({"document": _("This .docx file cannot be read.")}) from exc
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            parts += [cell.text for row in table.rows for cell in row.cells]
        return "\n".join(p for p in parts if p)[:500_000]
    if lowered.endswith(".txt"):
        try:
            return data.decode("utf-8")[:500_000]
        except UnicodeDecodeError:
            return data.decode("gb18030", errors="replace")[:500_000]
    return ""
