"""Who may do what with money."""

from typing import Any

from domus.organizations.selectors import is_company_staff


def can_pay_invoice(user: Any, invoice: Any) -> bool:
    return invoice.recipient_id == getattr(user, "id", None) or is_company_staff(user, invoice.company_id)
