"""The domain events sales publishes, and how their payloads are made."""

from typing import Any

from domus.core.events import event_payload, publish

OFFER_RECEIVED = "offer.received"
OFFER_COUNTERED = "offer.countered"
OFFER_ACCEPTED = "offer.accepted"
OFFER_DECLINED = "offer.declined"
OFFER_EXPIRED = "offer.expired"
CONTRACT_SIGNED = "contract.signed"
DEAL_CREATED = "deal.created"
DEAL_STATUS_CHANGED = "deal.status_changed"
COMMISSION_APPROVED = "commission.approved"


def event(name: str, *, row: Any, actor: Any, recipients: list[Any], **extra: Any) -> None:
    publish(name, event_payload(row, actor=actor, recipients=recipients, **extra))
