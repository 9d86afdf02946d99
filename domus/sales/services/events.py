"""The domain events sales publishes, and how their payloads are made."""

from typing import Any

from domus.core.events import publish

OFFER_RECEIVED = "offer.received"
OFFER_COUNTERED = "offer.countered"
OFFER_ACCEPTED = "offer.accepted"
OFFER_DECLINED = "offer.declined"
OFFER_EXPIRED = "offer.expired"
CONTRACT_SIGNED = "contract.signed"
DEAL_STATUS_CHANGED = "deal.status_changed"
COMMISSION_APPROVED = "commission.approved"


def actor_id(actor: Any) -> str | None:
    return str(actor.pk) if getattr(actor, "is_authenticated", False) else None


def event(name: str, *, row: Any, actor: Any, recipients: list[Any], **extra: Any) -> None:
    actor_pk = actor_id(actor)
    recipient_ids = sorted({str(r) for r in recipients if r is not None and str(r) != actor_pk})
    company_id = getattr(row, "company_id", None)
    payload = {
        "id": str(row.pk),
        "company_id": str(company_id) if company_id else None,
        "actor_id": actor_pk,
        "recipient_ids": recipient_ids,
    }
    publish(name, {**payload, **extra})
