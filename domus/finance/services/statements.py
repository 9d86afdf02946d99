"""Owner statements as documents (the figures themselves come from ``selectors.owner_statement``)."""

from typing import Any

from domus.integrations.pdf import PdfTable, render_pdf


def owner_statement_pdf(*, statement: dict[str, Any]) -> bytes:
    """The owner statement returned by ``selectors.owner_statement`` as a PDF document."""
    rows = [
        [line["date"], line["kind"], line["memo"], line["credit"], line["debit"], line["balance"]]
        for line in statement["lines"]
    ]
    return render_pdf(
        title=f"Owner statement {statement['period_start']} to {statement['period_end']}",
        fields=[
            ("Currency", statement["currency"]),
            ("Opening balance", statement["opening_balance"]),
            ("Rent collected", statement["rent_collected"]),
            ("Management fees", statement["management_fees"]),
            ("Expenses", statement["expenses"]),
            ("Refunds", statement["refunds"]),
            ("Payouts", statement["payouts"]),
            ("Failed payouts returned", statement["payouts_returned"]),
            ("Other adjustments", statement["adjustments"]),
            ("Closing balance", statement["closing_balance"]),
        ],
        table=PdfTable(["Date", "Kind", "Memo", "In", "Out", "Balance"], rows, (2, 1.5, 4, 1.5, 1.5, 1.8)),
    )
