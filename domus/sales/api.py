"""Sales API: offers and counter-offers, contracts (the management system's ``sales/...``),
deals (the CRM's ``transactions``, canonical ``sales/deals``) with their status history, commissions."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.core.idempotency import idempotent
from domus.core.middleware import client_ip
from domus.core.openapi import download
from domus.core.policies import require
from domus.sales import policies, selectors, services
from domus.sales.schemas import (
    CommissionFilters,
    CommissionOut,
    ContractFilters,
    ContractIn,
    ContractOut,
    ContractPutIn,
    CounterIn,
    DealDetailOut,
    DealFilters,
    DealHistoryOut,
    DealIn,
    DealOut,
    DealStatusIn,
    OfferFilters,
    OfferIn,
    OfferOut,
)

router = Router(tags=["sales"])

PARTIES = {"x-permission": "the buyer, the listing's agent and owner, company staff, or admin"}
RESPONDER = {"x-permission": "the party the offer was made to (seller side or buyer side), or admin"}
CONTRACT_MANAGERS = {"x-permission": "company staff, the listing's agent, or admin"}
DEAL_MOVERS = {"x-permission": "company staff, the deal's listing or selling agent, or admin"}
STAFF_ONLY = {"x-permission": "company staff or admin"}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# Offers -------------------------------------------------------------------------------------


@router.get(
    "/offers/",
    response={200: list[OfferOut], 400: ErrorOut, 401: ErrorOut},
    summary="Offers the caller is party to (the company's for staff)",
    openapi_extra=PARTIES,
)
@paginate
def offer_list(request: HttpRequest, filters: Query[OfferFilters]):
    return selectors.offer_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/offers/",
    response={201: OfferOut, **WRITE_ERRORS},
    summary="Make an offer on an available listing or unit (agents: for a client_id)",
)
@decorate_view(idempotent)
def offer_create(request: HttpRequest, payload: OfferIn):
    return Status(201, services.offer_create(actor=request.auth, **payload.model_dump(exclude_unset=True)))


@router.get("/offers/{offer_id}/", response={200: OfferOut, **READ_ERRORS}, summary="An offer", openapi_extra=PARTIES)
def offer_detail(request: HttpRequest, offer_id: UUID):
    return selectors.offer_get_for_actor(actor=request.auth, offer_id=offer_id)


@router.get(
    "/offers/{offer_id}/chain/",
    response={200: list[OfferOut], **READ_ERRORS},
    summary="The offer and the offers it answers, oldest first",
    openapi_extra=PARTIES,
)
def offer_chain(request: HttpRequest, offer_id: UUID):
    offer = selectors.offer_get_for_actor(actor=request.auth, offer_id=offer_id)
    return selectors.offer_chain(offer=offer)


def _respondable(request: HttpRequest, offer_id: UUID):
    offer = selectors.offer_get_for_actor(actor=request.auth, offer_id=offer_id)
    require(policies.can_respond_to_offer(request.auth, offer), "Only the party the offer was made to may answer it.")
    return offer


@router.post(
    "/offers/{offer_id}/counter/",
    response={201: OfferOut, **WRITE_ERRORS},
    summary="Counter a pending offer (the new offer points back to it)",
    openapi_extra=RESPONDER,
)
def offer_counter(request: HttpRequest, offer_id: UUID, payload: CounterIn):
    offer = _respondable(request, offer_id)
    return Status(
        201, services.offer_counter(actor=request.auth, offer=offer, **payload.model_dump(exclude_unset=True))
    )


@router.post(
    "/offers/{offer_id}/accept/",
    response={200: OfferOut, **WRITE_ERRORS},
    summary="Accept a pending offer: the listing goes under offer, competing offers are declined",
    openapi_extra=RESPONDER,
)
def offer_accept(request: HttpRequest, offer_id: UUID):
    return services.offer_accept(actor=request.auth, offer=_respondable(request, offer_id))


@router.post(
    "/offers/{offer_id}/reject/",
    response={200: OfferOut, **WRITE_ERRORS},
    summary="Decline a pending offer",
    openapi_extra=RESPONDER,
)
def offer_reject(request: HttpRequest, offer_id: UUID):
    return services.offer_reject(actor=request.auth, offer=_respondable(request, offer_id))


@router.post(
    "/offers/{offer_id}/withdraw/",
    response={200: OfferOut, **WRITE_ERRORS},
    summary="Withdraw a pending offer you made",
    openapi_extra={"x-permission": "the party who made the offer, or admin"},
)
def offer_withdraw(request: HttpRequest, offer_id: UUID):
    offer = selectors.offer_get_for_actor(actor=request.auth, offer_id=offer_id)
    require(policies.can_withdraw_offer(request.auth, offer), "Only the party who made the offer may withdraw it.")
    return services.offer_withdraw(actor=request.auth, offer=offer)


# Contracts -----------------------------------------------------------------------------------


@router.get(
    "/contracts/",
    response={200: list[ContractOut], 400: ErrorOut, 401: ErrorOut},
    summary="Contracts the caller is party to (the company's for staff)",
    openapi_extra=PARTIES,
)
@paginate
def contract_list(request: HttpRequest, filters: Query[ContractFilters]):
    return selectors.contract_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/contracts/",
    response={201: ContractOut, **WRITE_ERRORS},
    summary="Draw a draft contract from an accepted offer (or for a buyer of a listing at a price)",
    openapi_extra=CONTRACT_MANAGERS,
)
def contract_create(request: HttpRequest, payload: ContractIn):
    data = payload.model_dump(exclude_unset=True)
    offer_id = data.pop("offer_id", None)
    if offer_id is None:  # the management system's body: listing, buyer, price
        return Status(201, services.contract_create_for_buyer(actor=request.auth, **data))
    offer = selectors.offer_get_for_actor(actor=request.auth, offer_id=offer_id)
    require(policies.can_manage_contract(request.auth, offer.company_id, offer.listing), "Only the seller's side.")
    return Status(201, services.contract_create(actor=request.auth, offer=offer, **data))


@router.get(
    "/contracts/{contract_id}/", response={200: ContractOut, **READ_ERRORS}, summary="A contract", openapi_extra=PARTIES
)
def contract_detail(request: HttpRequest, contract_id: UUID):
    return selectors.contract_get_for_actor(actor=request.auth, contract_id=contract_id)


def _managed_contract(request: HttpRequest, contract_id: UUID):
    contract = selectors.contract_get_for_actor(actor=request.auth, contract_id=contract_id)
    require(
        policies.can_manage_contract(request.auth, contract.company_id, contract.listing),
        "Only the company's staff or the listing's agent.",
    )
    return contract


@router.put(
    "/contracts/{contract_id}/",
    response={200: ContractOut, **WRITE_ERRORS},
    summary="Replace a draft contract (sent, signed and void ones answer 409)",
    openapi_extra=CONTRACT_MANAGERS,
)
def contract_put(request: HttpRequest, contract_id: UUID, payload: ContractPutIn):
    contract = _managed_contract(request, contract_id)
    return services.contract_update(actor=request.auth, contract=contract, **payload.model_dump())


@router.delete(
    "/contracts/{contract_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a draft contract (others answer 409)",
    openapi_extra=CONTRACT_MANAGERS,
)
def contract_delete(request: HttpRequest, contract_id: UUID):
    services.contract_delete(actor=request.auth, contract=_managed_contract(request, contract_id))
    return Status(204, None)


@router.post(
    "/contracts/{contract_id}/send/",
    response={200: ContractOut, **WRITE_ERRORS},
    summary="Send a draft to the parties for signature",
    openapi_extra=CONTRACT_MANAGERS,
)
def contract_send(request: HttpRequest, contract_id: UUID):
    return services.contract_send(actor=request.auth, contract=_managed_contract(request, contract_id))


@router.post(
    "/contracts/{contract_id}/sign/",
    response={200: ContractOut, **WRITE_ERRORS},
    summary="Sign a sent contract: records signer, time, IP and the document's SHA-256; it is then immutable",
    openapi_extra={"x-permission": "the buyer, the listing's owner or agent, company staff, or admin"},
)
def contract_sign(request: HttpRequest, contract_id: UUID):
    contract = selectors.contract_get_for_actor(actor=request.auth, contract_id=contract_id)
    require(policies.can_sign_contract(request.auth, contract), "Only a party to the contract may sign it.")
    return services.contract_sign(actor=request.auth, contract=contract, ip=client_ip(request))


@router.post(
    "/contracts/{contract_id}/void/",
    response={200: ContractOut, **WRITE_ERRORS},
    summary="Void a draft or sent contract (a signed one answers 409)",
    openapi_extra=CONTRACT_MANAGERS,
)
def contract_void(request: HttpRequest, contract_id: UUID):
    return services.contract_void(actor=request.auth, contract=_managed_contract(request, contract_id))


@router.get(
    "/contracts/{contract_id}/document/",
    response={200: None, **READ_ERRORS},
    summary="The contract as a PDF (the stored, signed document once signed)",
    openapi_extra={**PARTIES, **download("The contract", "application/pdf")},
)
def contract_document(request: HttpRequest, contract_id: UUID):
    contract = selectors.contract_get_for_actor(actor=request.auth, contract_id=contract_id)
    if contract.document:
        with contract.document.open("rb") as handle:
            pdf = handle.read()
    else:
        pdf = services.contract_document(contract=contract)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="contract-{contract.pk}.pdf"'
    return response


# Deals (the CRM's "transactions") --------------------------------------------------------------


@router.get(
    "/deals/",
    response={200: list[DealOut], 400: ErrorOut, 401: ErrorOut},
    summary="Deals with status and commission (an agent's own, the company's for staff)",
    openapi_extra=DEAL_MOVERS,
)
@paginate
def deal_list(request: HttpRequest, filters: Query[DealFilters]):
    return selectors.deal_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/deals/",
    response={201: DealDetailOut, **WRITE_ERRORS},
    summary="Record a deal (or an offer) on one of the company's listings",
    openapi_extra={"x-permission": "company agents, staff or admin"},
)
def deal_create(request: HttpRequest, payload: DealIn):
    require(policies.can_create_deal(request.auth), "Only agents and staff of a company record deals.")
    deal = services.deal_create(actor=request.auth, **payload.model_dump(exclude_unset=True))
    return Status(201, selectors.deal_get_for_actor(actor=request.auth, deal_id=deal.pk))


@router.get(
    "/deals/{deal_id}/",
    response={200: DealDetailOut, **READ_ERRORS},
    summary="A deal with its status history",
    openapi_extra=DEAL_MOVERS,
)
def deal_detail(request: HttpRequest, deal_id: UUID):
    return selectors.deal_get_for_actor(actor=request.auth, deal_id=deal_id)


@router.patch(
    "/deals/{deal_id}/status/",
    response={200: DealDetailOut, **WRITE_ERRORS},
    summary="Move a deal along its lifecycle (409 lists the allowed next statuses)",
    openapi_extra=DEAL_MOVERS,
)
def deal_status(request: HttpRequest, deal_id: UUID, payload: DealStatusIn):
    deal = selectors.deal_get_for_actor(actor=request.auth, deal_id=deal_id)
    require(policies.can_move_deal(request.auth, deal), "Only the company's staff or the deal's agents.")
    services.deal_status_change(actor=request.auth, deal=deal, **payload.model_dump(exclude_unset=True))
    return selectors.deal_get_for_actor(actor=request.auth, deal_id=deal_id)


@router.get(
    "/deals/{deal_id}/history/",
    response={200: list[DealHistoryOut], **READ_ERRORS},
    summary="A deal's status history, oldest first",
    openapi_extra=DEAL_MOVERS,
)
def deal_history(request: HttpRequest, deal_id: UUID):
    deal = selectors.deal_get_for_actor(actor=request.auth, deal_id=deal_id)
    return selectors.deal_history(deal=deal)


# Commissions --------------------------------------------------------------------------------------


@router.get(
    "/commissions/",
    response={200: list[CommissionOut], 400: ErrorOut, 401: ErrorOut},
    summary="Commissions: an agent's own, the company's for staff",
    openapi_extra={"x-permission": "the commission's agent, company staff, or admin"},
)
@paginate
def commission_list(request: HttpRequest, filters: Query[CommissionFilters]):
    return selectors.commission_list_for_actor(actor=request.auth, filters=filters)


@router.get(
    "/commissions/{commission_id}/",
    response={200: CommissionOut, **READ_ERRORS},
    summary="A commission",
    openapi_extra={"x-permission": "the commission's agent, company staff, or admin"},
)
def commission_detail(request: HttpRequest, commission_id: UUID):
    return selectors.commission_get_for_actor(actor=request.auth, commission_id=commission_id)


def _managed_commission(request: HttpRequest, commission_id: UUID):
    commission = selectors.commission_get_for_actor(actor=request.auth, commission_id=commission_id)
    require(policies.can_manage_commission(request.auth, commission), "Only the company's staff approve and pay.")
    return commission


@router.post(
    "/commissions/{commission_id}/approve/",
    response={200: CommissionOut, **WRITE_ERRORS},
    summary="Approve a pending commission",
    openapi_extra=STAFF_ONLY,
)
def commission_approve(request: HttpRequest, commission_id: UUID):
    return services.commission_approve(actor=request.auth, commission=_managed_commission(request, commission_id))


@router.post(
    "/commissions/{commission_id}/pay/",
    response={200: CommissionOut, **WRITE_ERRORS},
    summary="Record an approved commission as paid",
    openapi_extra=STAFF_ONLY,
)
@decorate_view(idempotent)
def commission_pay(request: HttpRequest, commission_id: UUID):
    return services.commission_pay(actor=request.auth, commission=_managed_commission(request, commission_id))
