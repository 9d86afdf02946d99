"""What the CRM does when other apps announce something."""

from uuid import UUID

from domus.core.events import subscribe
from domus.crm.services import leads_rescore_for_listing


@subscribe("listing.price_changed")
def rescore_leads_of_listing(*, event: str, payload: dict) -> None:
    """A new price changes the budget fit of the leads interested in the listing."""
    leads_rescore_for_listing(listing_id=UUID(payload["id"]))
