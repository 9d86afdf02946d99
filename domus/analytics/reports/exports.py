"""Streamed CSV exports of the lists that matter. Each resource is read through its own
app's visibility selector (the one its list endpoint uses), as plain values with
``iterator(chunk_size=...)``: rows are written as they arrive, so memory stays constant
however many rows there are (PostgreSQL reads them through a server-side cursor)."""

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from domus.crm import selectors as crm
from domus.finance import selectors as finance
from domus.leasing import selectors as leasing
from domus.properties import selectors as properties

CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Export:
    visible: Callable[[Any], Any]
    fields: tuple[str, ...]
    order: tuple[str, ...] = ("created_at", "id")


EXPORTS: dict[str, Export] = {
    "listings": Export(
        properties.listing_visible_to,
        (
            "id",
            "title",
            "property_type",
            "listing_type",
            "status",
            "price",
            "currency",
            "bedrooms",
            "bathrooms",
            "area_m2",
            "year_built",
            "address",
            "city",
            "state",
            "country",
            "latitude",
            "longitude",
            "is_published",
            "listed_at",
            "company_id",
            "owner_id",
            "agent_id",
            "created_at",
        ),
    ),
    "leads": Export(
        crm.lead_visible_to,
        (
            "id",
            "name",
            "email",
            "phone",
            "source",
            "status",
            "score",
            "company_id",
            "assigned_agent_id",
            "listing_id",
            "created_at",
        ),
    ),
    "clients": Export(
        crm.client_visible_to,
        ("id", "name", "email", "phone", "kind", "company_id", "assigned_agent_id", "created_at"),
    ),
    "invoices": Export(
        finance.invoice_visible_to,
        (
            "id",
            "number",
            "company_id",
            "recipient_id",
            "lease_id",
            "listing_id",
            "status",
            "issue_date",
            "due_date",
            "currency",
            "subtotal",
            "tax_total",
            "total",
            "amount_paid",
            "created_at",
        ),
    ),
    "payments": Export(
        finance.payment_visible_to,
        (
            "id",
            "company_id",
            "invoice_id",
            "listing_id",
            "payer_id",
            "purpose",
            "method",
            "status",
            "amount",
            "currency",
            "reference",
            "mpesa_receipt",
            "paid_at",
            "created_at",
        ),
    ),
    "leases": Export(
        leasing.lease_visible_to,
        (
            "id",
            "company_id",
            "listing_id",
            "unit_id",
            "tenant_id",
            "owner_id",
            "status",
            "start_date",
            "end_date",
            "rent_amount",
            "deposit",
            "currency",
            "billing_day",
            "created_at",
        ),
    ),
}
RESOURCES = tuple(EXPORTS)


class _Line:
    """A file-like object that hands back what ``csv.writer`` writes to it."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and _formula(value):
        return "'" + value  # a spreadsheet never runs a cell as a formula
    return "" if value is None else value


def _formula(text: str) -> bool:
    head = text[:1]
    if head in ("=", "@", "\t", "\r"):
        return True
    return head in ("+", "-") and not text[1:2].isdigit()  # "+254 700 ..." stays a phone number


def export_rows(*, actor: Any, resource: str) -> Iterator[str]:
    """The CSV lines (header first) of ``resource`` as ``actor`` may see it."""
    spec = EXPORTS[resource]
    writer = csv.writer(_Line())
    yield writer.writerow(spec.fields)
    queryset = spec.visible(actor).order_by(*spec.order).values_list(*spec.fields)
    for row in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([_cell(value) for value in row])
