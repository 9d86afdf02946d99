"""Contracts drawn from accepted offers: drafts, sending, the signed PDF, voiding."""

import hashlib
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from domus.accounts.selectors import user_postal_lines
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from domus.core.money import quantize
from domus.crm.selectors import client_postal_lines
from domus.integrations.pdf import PdfTable, format_amount, render_pdf
from domus.organizations.selectors import company_letterhead
from domus.properties import selectors as property_selectors
from domus.sales import policies, selectors
from domus.sales.models import (
    Contract,
    ContractKind,
    ContractStatus,
    Offer,
    OfferStatus,
)
from domus.sales.services.events import (
    CONTRACT_SIGNED,
    event,
)
from domus.sales.services.offers import offer_accept, offer_create

EDITABLE_CONTRACT_FIELDS = frozenset(
    {"kind", "title", "parties", "terms", "price", "currency", "start_date", "end_date", "completion_date"}
)


# Contracts ----------------------------------------------------------------------------------


def _default_parties(offer: Offer) -> list[dict[str, str]]:
    parties = []
    buyer = offer.buyer
    if offer.client is not None:
        parties.append(
            {"role": "buyer", "name": offer.client.name, "email": offer.client.email, "phone": offer.client.phone}
        )
    elif buyer is not None:
        parties.append(
            {"role": "buyer", "name": buyer.get_full_name() or buyer.username, "email": buyer.email, "phone": ""}
        )
    owner = offer.listing.owner
    parties.append(
        {"role": "seller", "name": owner.get_full_name() or owner.username, "email": owner.email, "phone": ""}
    )
    return parties


@transaction.atomic
def contract_create(*, actor: Any, offer: Offer, **fields: Any) -> Contract:
    """Draw a draft contract from an accepted offer; what is not given comes from the
    offer and its listing."""
    unknown = set(fields) - EDITABLE_CONTRACT_FIELDS
    if unknown:
        raise ValidationFailed("Unknown contract fields.", errors={f: ["Unknown field."] for f in sorted(unknown)})
    if offer.status != OfferStatus.ACCEPTED:
        raise Conflict(
            "Contracts are drawn from accepted offers.", errors={"offer_id": [f"The offer is {offer.status}."]}
        )
    listing = offer.listing
    kind = fields.get("kind") or (ContractKind.LEASE if listing.listing_type == "rent" else ContractKind.SALE)
    values = {k: v for k, v in fields.items() if v is not None}
    contract = Contract(
        company_id=offer.company_id,
        offer=offer,
        listing=listing,
        kind=kind,
        title=values.get("title") or f"{ContractKind(kind).label} of {listing.title}",
        parties=values.get("parties") or _default_parties(offer),
        terms=values.get("terms", ""),
        price=quantize(values.get("price", offer.amount)),
        currency=values.get("currency") or offer.currency,
        start_date=values.get("start_date"),
        end_date=values.get("end_date"),
        completion_date=values.get("completion_date"),
        created_by=actor,
    )
    contract.save()
    audit_create(actor=actor, instance=contract, company_id=contract.company_id)
    return contract


@transaction.atomic
def contract_create_for_buyer(
    *, actor: Any, listing_id: Any, buyer_id: Any, price: Any, unit_id: Any = None, **fields: Any
) -> Contract:
    """A contract drawn on a listing (or unit) for a buyer at a price, as the real-estate
    management system's clients create one. The offer and acceptance a Domus contract is
    drawn from are recorded underneath, in the same transaction: the buyer's offer of
    ``price`` (``buyer_id``: a client of the company or a user, see ``offer_create``),
    accepted by the caller, so the listing goes under offer (a unit is reserved) and
    competing offers are declined exactly as when an offer is accepted. Only the seller's
    side may do it (the company's staff or the listing's agent)."""
    try:
        listing = property_selectors.listing_get_for_actor(actor=actor, listing_id=listing_id)
    except NotFound:
        raise ValidationFailed("Unknown listing.", errors={"listing_id": ["No such listing."]}) from None
    if listing.company_id is None or not policies.can_manage_contract(actor, listing.company_id, listing):
        raise PermissionDenied("Only the company's staff or the listing's agent draw its contracts.")
    offer = offer_create(
        actor=actor,
        listing_id=listing.pk,
        unit_id=unit_id,
        buyer_id=buyer_id,
        amount=price,
        currency=fields.get("currency"),
    )
    offer = offer_accept(actor=actor, offer=offer)
    return contract_create(actor=actor, offer=offer, price=price, **fields)


def _editable(contract: Contract) -> Contract:
    contract = selectors.contract_for_update(contract.pk)
    if contract.status != ContractStatus.DRAFT:
        raise Conflict(
            f"A {contract.status} contract cannot be changed.", errors={"status": ["Only drafts can be edited."]}
        )
    return contract


@transaction.atomic
def contract_update(*, actor: Any, contract: Contract, **fields: Any) -> Contract:
    """Change a draft contract (signed, sent and void ones are frozen: 409)."""
    unknown = set(fields) - EDITABLE_CONTRACT_FIELDS
    if unknown:
        raise ValidationFailed("Unknown contract fields.", errors={f: ["Unknown field."] for f in sorted(unknown)})
    contract = _editable(contract)
    before = audit_snapshot(contract)
    for name, value in fields.items():
        setattr(contract, name, quantize(value) if name == "price" else value)
    if contract.start_date and contract.end_date and contract.end_date < contract.start_date:
        raise ValidationFailed("Invalid dates.", errors={"end_date": ["Must not be before start_date."]})
    contract.save()
    audit_update(actor=actor, instance=contract, before=before, company_id=contract.company_id)
    return contract


@transaction.atomic
def contract_delete(*, actor: Any, contract: Contract) -> None:
    """Soft-delete a draft contract."""
    contract = _editable(contract)
    before = audit_snapshot(contract)
    contract.deleted_at = timezone.now()
    contract.save(update_fields=["deleted_at", "updated_at"])
    audit_update(actor=actor, instance=contract, before=before, action="delete", company_id=contract.company_id)


def _status_move(contract: Contract, allowed_from: tuple[str, ...], to: str) -> Contract:
    contract = selectors.contract_for_update(contract.pk)
    if contract.status not in allowed_from:
        raise Conflict(
            f"A {contract.status} contract cannot become {to}.",
            errors={"status": [f"Allowed from: {', '.join(allowed_from)}."]},
        )
    return contract


@transaction.atomic
def contract_send(*, actor: Any, contract: Contract) -> Contract:
    """Send a draft to the parties: from now on it can only be signed or voided."""
    contract = _status_move(contract, (ContractStatus.DRAFT,), ContractStatus.SENT)
    before = audit_snapshot(contract)
    contract.status, contract.sent_at = ContractStatus.SENT, timezone.now()
    contract.save()
    audit_update(actor=actor, instance=contract, before=before, action="send", company_id=contract.company_id)
    return contract


def _fmt(value: date | None) -> str:
    return value.isoformat() if value else "-"


def _counterparty_lines(contract: Contract) -> list[str]:
    """The name and address of the one the contract is made with: the offer's buyer (a
    user), else its CRM client."""
    offer = contract.offer
    if offer.buyer_id is not None:
        return user_postal_lines(offer.buyer_id)
    if offer.client_id is not None:
        return client_postal_lines(offer.client_id)
    return []


def contract_document(
    *, contract: Contract, signed_by: Any = None, signed_at: Any = None, signed_ip: str | None = None
) -> bytes:
    """The contract rendered as a PDF from its data (with the signature block once signed)."""
    fields: list[tuple[str, object]] = [
        ("Contract", str(contract.pk)),
        ("Kind", ContractKind(contract.kind).label),
        ("Property", contract.listing.title),
        ("Address", ", ".join(p for p in (contract.listing.address, contract.listing.city) if p) or "-"),
        ("Price", format_amount(contract.price, contract.currency)),
        ("Start date", _fmt(contract.start_date)),
        ("End date", _fmt(contract.end_date)),
        ("Completion date", _fmt(contract.completion_date)),
        ("Offer", str(contract.offer_id)),
    ]
    if signed_by is not None:
        fields += [
            ("Signed by", signed_by.email),
            ("Signed at", signed_at.isoformat()),
            ("Signed from", signed_ip or "-"),
        ]
    table = PdfTable(
        header=("Role", "Name", "E-mail", "Phone"),
        rows=[(p.get("role", ""), p.get("name", ""), p.get("email", ""), p.get("phone", "")) for p in contract.parties],
        widths=(1, 2, 2, 1.5),
    )
    footer = "Signed contract" if signed_by is not None else f"{contract.status.upper()}: not signed"
    return render_pdf(
        title=contract.title,
        issuer=company_letterhead(contract.company_id),
        recipient=_counterparty_lines(contract),
        fields=fields,
        paragraphs=[contract.terms] if contract.terms else [],
        table=table,
        footer=footer,
    )


@transaction.atomic
def contract_sign(*, actor: Any, contract: Contract, ip: str | None) -> Contract:
    """Sign a sent contract: its document is rendered and stored, and the signer, time,
    IP and the document's SHA-256 are recorded. A signed contract never changes again."""
    contract = _status_move(contract, (ContractStatus.SENT,), ContractStatus.SIGNED)
    before = audit_snapshot(contract)
    now = timezone.now()
    pdf = contract_document(contract=contract, signed_by=actor, signed_at=now, signed_ip=ip)
    contract.document.save(f"contract-{contract.pk}.pdf", ContentFile(pdf), save=False)
    contract.document_sha256 = hashlib.sha256(pdf).hexdigest()
    contract.status, contract.signed_at, contract.signed_by, contract.signed_ip = ContractStatus.SIGNED, now, actor, ip
    contract.save()
    audit_update(actor=actor, instance=contract, before=before, action="sign", company_id=contract.company_id)
    offer = contract.offer
    event(
        CONTRACT_SIGNED,
        row=contract,
        actor=actor,
        recipients=[offer.buyer_id, offer.created_by_id, contract.listing.agent_id, contract.listing.owner_id],
        sha256=contract.document_sha256,
    )
    return contract


@transaction.atomic
def contract_void(*, actor: Any, contract: Contract) -> Contract:
    """Void a draft or sent contract (a signed one is immutable)."""
    contract = _status_move(contract, (ContractStatus.DRAFT, ContractStatus.SENT), ContractStatus.VOID)
    before = audit_snapshot(contract)
    contract.status, contract.voided_at = ContractStatus.VOID, timezone.now()
    contract.save()
    audit_update(actor=actor, instance=contract, before=before, action="void", company_id=contract.company_id)
    return contract
