"""Every write of sales: offers and their counter chain, contracts and their signature,
deals and their status history, commissions."""

from domus.sales.services.contracts import (
    contract_create,
    contract_create_for_buyer,
    contract_delete,
    contract_document,
    contract_send,
    contract_sign,
    contract_update,
    contract_void,
)
from domus.sales.services.deals import (
    commission_approve,
    commission_pay,
    commissions_compute,
    deal_create,
    deal_status_change,
)
from domus.sales.services.events import (
    COMMISSION_APPROVED,
    CONTRACT_SIGNED,
    DEAL_STATUS_CHANGED,
    OFFER_ACCEPTED,
    OFFER_COUNTERED,
    OFFER_DECLINED,
    OFFER_EXPIRED,
    OFFER_RECEIVED,
)
from domus.sales.services.offers import (
    offer_accept,
    offer_counter,
    offer_create,
    offer_reject,
    offer_withdraw,
    offers_expire,
)

__all__ = [
    "COMMISSION_APPROVED",
    "CONTRACT_SIGNED",
    "DEAL_STATUS_CHANGED",
    "OFFER_ACCEPTED",
    "OFFER_COUNTERED",
    "OFFER_DECLINED",
    "OFFER_EXPIRED",
    "OFFER_RECEIVED",
    "commission_approve",
    "commission_pay",
    "commissions_compute",
    "contract_create",
    "contract_create_for_buyer",
    "contract_delete",
    "contract_document",
    "contract_send",
    "contract_sign",
    "contract_update",
    "contract_void",
    "deal_create",
    "deal_status_change",
    "offer_accept",
    "offer_counter",
    "offer_create",
    "offer_reject",
    "offer_withdraw",
    "offers_expire",
]
