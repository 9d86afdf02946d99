"""PDF documents (contracts, invoices, ...) rendered from data with fpdf2.

One plain, printable layout: the issuer's letterhead, a title, the recipient's address
block, labelled fields, optional paragraphs and an
optional table, in the bundled DejaVu Sans (``fonts/``), which prints any name a
customer has ("Ngũgĩ wa Thiong'o", "€", Cyrillic, Greek) where the built-in PDF fonts
cover Latin-1 only.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

PAGE_MARGIN_MM = 18
LABEL_WIDTH_MM = 55
FONT = "DejaVu"
FONT_DIR = Path(__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class PdfTable:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    # Relative column widths; equal columns when empty.
    widths: Sequence[float] = field(default_factory=tuple)


def format_amount(amount: Decimal, currency: str = "") -> str:
    """``Decimal("1234567.5")`` -> ``"1,234,567.50"`` (``"KES 1,234,567.50"`` with a currency):
    thousands grouped, two decimals, as printed on invoices and statements."""
    text = f"{Decimal(amount):,.2f}"
    return f"{currency} {text}" if currency else text


def _text(value: object) -> str:
    return str(value)


def render_pdf(
    *,
    title: str,
    fields: Sequence[tuple[str, object]] = (),
    paragraphs: Sequence[str] = (),
    table: PdfTable | None = None,
    footer: str = "",
    issuer: Sequence[str] = (),
    recipient: Sequence[str] = (),
    recipient_label: str = "To",
) -> bytes:
    """Render one document and answer the PDF bytes. ``issuer`` is the letterhead (its first
    line, the name, in bold) above the title; ``recipient`` the address block under
    ``recipient_label`` below it. Empty lines are left out."""
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=PAGE_MARGIN_MM)
    pdf.set_title(_text(title))
    pdf.add_page()
    issuer_lines = [line for line in issuer if line]
    for index, line in enumerate(issuer_lines):
        pdf.set_font(FONT, "B" if index == 0 else "", 11 if index == 0 else 9)
        pdf.multi_cell(0, 5, _text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if issuer_lines:
        pdf.ln(5)
    pdf.set_font(FONT, "B", 16)
    pdf.multi_cell(0, 9, _text(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    recipient_lines = [line for line in recipient if line]
    if recipient_lines:
        pdf.set_font(FONT, "B", 10)
        pdf.multi_cell(0, 6, _text(recipient_label), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FONT, "", 10)
        for line in recipient_lines:
            pdf.multi_cell(0, 5, _text(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)

    for label, value in fields:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(LABEL_WIDTH_MM, 6, _text(label))
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 6, _text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for paragraph in paragraphs:
        pdf.ln(3)
        pdf.set_font(FONT, "", 10)
        pdf.multi_cell(0, 5, _text(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if table is not None:
        pdf.ln(4)
        pdf.set_font(FONT, "", 9)
        widths = tuple(table.widths) or (1,) * len(table.header)
        with pdf.table(col_widths=widths, text_align="LEFT") as grid:
            for row in (table.header, *table.rows):
                cells = grid.row()
                for value in row:
                    cells.cell(_text(value))

    if footer:
        pdf.ln(6)
        pdf.set_font(FONT, "", 7)
        pdf.multi_cell(0, 4, _text(footer), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
