"""PDF documents (contracts, invoices, ...) rendered from data with fpdf2.

One plain, printable layout: a title, labelled fields, optional paragraphs and an
optional table. The built-in Helvetica font covers Latin-1 only, so other characters
are replaced rather than failing the render.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.enums import XPos, YPos

PAGE_MARGIN_MM = 18
LABEL_WIDTH_MM = 55


@dataclass(frozen=True)
class PdfTable:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    # Relative column widths; equal columns when empty.
    widths: Sequence[float] = field(default_factory=tuple)


def _latin1(text: object) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def render_pdf(
    *,
    title: str,
    fields: Sequence[tuple[str, object]] = (),
    paragraphs: Sequence[str] = (),
    table: PdfTable | None = None,
    footer: str = "",
) -> bytes:
    """Render one document and answer the PDF bytes."""
    pdf = FPDF(format="A4")
    pdf.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=PAGE_MARGIN_MM)
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)

    for label, value in fields:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(LABEL_WIDTH_MM, 6, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 6, _latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    for paragraph in paragraphs:
        pdf.ln(3)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(0, 5, _latin1(paragraph), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if table is not None:
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 9)
        widths = tuple(table.widths) or (1,) * len(table.header)
        with pdf.table(col_widths=widths, text_align="LEFT") as grid:
            for row in (table.header, *table.rows):
                cells = grid.row()
                for value in row:
                    cells.cell(_latin1(value))

    if footer:
        pdf.ln(6)
        pdf.set_font("Helvetica", "I", 8)
        pdf.multi_cell(0, 4, _latin1(footer), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
