"""Helpers shared by the finance services."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from domus.core.exceptions import NotFound, UnknownReference
from domus.properties import selectors as property_selectors

ZERO = Decimal("0.00")


def _company_listing_id(*, actor: Any, company_id: UUID, listing_id: UUID | None) -> UUID | None:
    """``listing_id`` if it names a listing of the company that ``actor`` may see; else a 400."""
    listing = _company_listing(actor=actor, company_id=company_id, listing_id=listing_id)
    return listing.id if listing is not None else None


def _company_listing(*, actor: Any, company_id: UUID, listing_id: UUID | None) -> Any:
    """The listing ``listing_id`` names if it is the company's and ``actor`` may see it; else a 400."""
    if listing_id is None:
        return None
    try:
        listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    except NotFound:
        listing = None
    if listing is None or listing.company_id != company_id:
        raise UnknownReference("Unknown listing.", errors={"listing_id": ["No listing of this company has this id."]})
    return listing
