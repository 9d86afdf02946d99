"""The PDF renderer prints any Unicode text with the bundled font, and amounts with
grouped thousands."""

import io
from decimal import Decimal

from pypdf import PdfReader

from domus.integrations.pdf import PdfTable, format_amount, render_pdf


def _text(document: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(document)).pages)


def test_names_in_any_script_are_printed_as_written():
    document = render_pdf(
        title="Invoice INV-000001",
        fields=[("Tenant", "Ngũgĩ wa Thiong'o"), ("Owner", "Σοφία Жукова")],
        table=PdfTable(header=["Item", "Amount"], rows=[["Loyer d'été", "€ 1,200.00"]]),
        footer="Zoë & Søren Ltd",
    )

    text = _text(document)
    assert "Ngũgĩ wa Thiong'o" in text
    assert "Σοφία Жукова" in text
    assert "Loyer d'été" in text
    assert "€ 1,200.00" in text
    assert "Zoë & Søren Ltd" in text
    assert "?" not in text  # nothing replaced


def test_amounts_group_thousands_with_two_decimals():
    assert format_amount(Decimal("1234567.5")) == "1,234,567.50"
    assert format_amount(Decimal("0")) == "0.00"
    assert format_amount(Decimal("950000"), "KES") == "KES 950,000.00"


def test_render_pdf_writes_a_document_with_fields_paragraphs_and_a_table():
    document = render_pdf(
        title="Invoice INV-0001",
        fields=[("Tenant", "Wanjiku Kamau"), ("Total", "KES 1,000.00")],
        paragraphs=["Pay by 5 December."],
        table=PdfTable(header=["Item", "Amount"], rows=[["Rent", "1000.00"]], widths=(3, 1)),
        footer="Thank you.",
    )

    assert document.startswith(b"%PDF-")
    assert document.rstrip().endswith(b"%%EOF")
    text = _text(document)
    for expected in ("Invoice INV-0001", "Wanjiku Kamau", "Pay by 5 December.", "Rent", "Thank you."):
        assert expected in text


def test_characters_the_font_lacks_do_not_fail_the_render():
    document = render_pdf(title="Contract \u2013 \u4e2d", fields=[("Party", "\u00c9lodie \u2713")])

    assert document.startswith(b"%PDF-")
    assert "\u00c9lodie" in _text(document)
