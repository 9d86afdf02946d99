"""Owner statements as documents (the figures themselves come from ``selectors.owner_statement``)."""

from decimal import Decimal
from typing import Any

from domus.accounts.selectors import user_postal_lines
from domus.integrations.pdf import PdfTable, format_amount, render_pdf
from domus.organizations.selectors import company_letterhead

TOTALS = (
    ("Opening balance", "opening_balance"),
    ("Rent collected", "rent_collected"),
    ("Management fees", "management_fees"),
    ("Expenses", "expenses"),
    ("Refunds", "refunds"),
    ("Payouts", "payouts"),
    ("Failed payouts returned", "payouts_returned"),
    ("Other adjustments", "adjustments"),
    ("Closing balance", "closing_balance"),
)


def _amount(value: Any, currency: str = "") -> str:
    """A money string of the statement printed with grouped thousands."""
    return format_amount(Decimal(value), currency)


def owner_statement_pdf(*, statement: dict[str, Any]) -> bytes:
    """The owner statement returned by ``selectors.owner_statement`` as a PDF document,
    headed by the managing company and addressed to the owner."""
    currency = statement["currency"]
    rows = [
        [
            line["date"],
            line["kind"],
            line["memo"],
            _amount(line["credit"]),
            _amount(line["debit"]),
            _amount(line["balance"]),
        ]
        for line in statement["lines"]
    ]
    return render_pdf(
        title=f"Owner statement {statement['period_start']} to {statement['period_end']}",
        issuer=company_letterhead(statement["company_id"]),
        recipient=user_postal_lines(statement["owner_id"]),
        fields=[("Currency", currency), *((label, _amount(statement[key], currency)) for label, key in TOTALS)],
        table=PdfTable(
            ["Date", "Kind", "Memo", f"In ({currency})", "Out", "Balance"], rows, (2, 1.5, 4, 1.5, 1.5, 1.8)
        ),
    )
