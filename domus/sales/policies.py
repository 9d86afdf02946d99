"""Who may do what in sales. Reading is scoped by the selectors; these decide the writes."""

from typing import Any

from domus.core.policies import is_admin
from domus.crm.policies import can_create_crm_records
from domus.organizations.selectors import is_company_staff, is_company_worker
from domus.sales.models import Commission, Contract, Deal, Offer, OfferParty


def _pk(user: Any) -> Any:
    return getattr(user, "pk", None)


def is_seller_side(user: Any, offer: Offer) -> bool:
    """Platform admins, the company's staff, and the listing's agent and owner."""
    listing = offer.listing
    return is_company_staff(user, offer.company_id) or _pk(user) in {listing.agent_id, listing.owner_id}


def is_buyer_side(user: Any, offer: Offer) -> bool:
    """The buyer, or (for an offer recorded for a client) the company's people acting for them."""
    if is_admin(user) or (offer.buyer_id is not None and _pk(user) == offer.buyer_id):
        return True
    return offer.client_id is not None and is_company_worker(user, offer.company_id)


def can_respond_to_offer(user: Any, offer: Offer) -> bool:
    """Accept, reject or counter: the party the offer was made to (never whoever made it)."""
    if _pk(user) == offer.created_by_id and not is_admin(user):
        return False
    return is_seller_side(user, offer) if offer.made_by == OfferParty.BUYER else is_buyer_side(user, offer)


def can_withdraw_offer(user: Any, offer: Offer) -> bool:
    """The party who made the offer."""
    if offer.made_by == OfferParty.BUYER:
        return is_buyer_side(user, offer) or _pk(user) == offer.created_by_id
    return is_seller_side(user, offer)


def can_manage_contract(user: Any, company_id: Any, listing: Any) -> bool:
    return is_company_staff(user, company_id) or _pk(user) == listing.agent_id


def can_sign_contract(user: Any, contract: Contract) -> bool:
    offer = contract.offer
    return can_manage_contract(user, contract.company_id, contract.listing) or _pk(user) in {
        offer.buyer_id,
        contract.listing.owner_id,
    }


def can_create_deal(user: Any) -> bool:
    return can_create_crm_records(user)


def can_move_deal(user: Any, deal: Deal) -> bool:
    return is_company_staff(user, deal.company_id) or _pk(user) in {deal.listing_agent_id, deal.selling_agent_id}


def can_manage_commission(user: Any, commission: Commission) -> bool:
    return is_company_staff(user, commission.company_id)
