from domus.integrations.pdf import PdfTable, render_pdf


def test_render_pdf_writes_a_document_with_fields_and_a_table():
    pdf = render_pdf(
        title="Invoice INV-0001",
        fields=[("Tenant", "Wanjiku Kamau"), ("Total", "KES 1,000.00")],
        paragraphs=["Pay by 5 December."],
        table=PdfTable(header=["Item", "Amount"], rows=[["Rent", "1000.00"]], widths=(3, 1)),
        footer="Thank you.",
    )

    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert b"Invoice INV-0001" in pdf


def test_characters_outside_latin1_do_not_fail_the_render():
    pdf = render_pdf(title="Contract \u2013 \u0174ater \u4e2d", fields=[("Party", "\u00c9lodie \u2713")])

    assert pdf.startswith(b"%PDF-")
