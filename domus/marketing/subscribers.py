"""What marketing does when other apps announce something: segment membership follows
lead changes, sequences enrol, exit and pause, campaigns get their attributions."""

from decimal import Decimal
from typing import Any
from uuid import UUID

from django.utils import timezone

from domus.core.events import subscribe
from domus.crm.selectors import lead_brief, lead_ids_of_user
from domus.marketing import selectors, services

TALK_ACTIVITIES = frozenset({"call", "meeting"})


@subscribe("lead.changed")
def lead_changed(*, event: str, payload: dict[str, Any]) -> None:
    """Re-evaluate the lead's segments; a won lead leaves its sequences (converted); a
    call or meeting with the agent pauses them."""
    lead_id = UUID(payload["id"])
    services.segments_refresh_lead(company_id=UUID(payload["company_id"]), lead_id=lead_id)
    if payload.get("status") == "won":
        services.enrolments_exit_for_lead(lead_id=lead_id, reason="converted")
    if payload.get("activity") in TALK_ACTIVITIES:
        services.enrolments_pause_for_lead(lead_id=lead_id, reason="The agent and the lead talked.")


@subscribe("lead.captured")
def lead_captured(*, event: str, payload: dict[str, Any]) -> None:
    lead = lead_brief(UUID(payload["id"]))
    if lead is not None:
        services.sequences_enrol_on_capture(lead_id=lead.pk, company_id=lead.company_id, source=lead.source)


def _attribute(user_id: str | None, field: str, reason: str) -> None:
    if not user_id:
        return
    lead_ids = lead_ids_of_user(UUID(user_id))
    if not lead_ids:
        return
    now = timezone.now()
    selectors.touches_for_attribution(lead_ids=lead_ids, since=selectors.attribution_since()).filter(
        **{f"{field}__isnull": True}
    ).update(**{field: now, "updated_at": now})
    for lead_id in lead_ids:
        services.enrolments_exit_for_lead(lead_id=lead_id, reason=reason)


@subscribe("visit.requested")
def viewing_booked(*, event: str, payload: dict[str, Any]) -> None:
    """A lead booking a viewing: the campaigns that reached them lately get it; their
    sequences end (viewing)."""
    _attribute(payload.get("customer_id"), "viewing_at", "viewing")


@subscribe("offer.received")
def offer_made(*, event: str, payload: dict[str, Any]) -> None:
    # The buyer made the offer (an offer entered for a client by its agent names no lead here).
    _attribute(payload.get("actor_id"), "offer_at", "offer")


@subscribe("message.sent")
def lead_conversation(*, event: str, payload: dict[str, Any]) -> None:
    """A message in a conversation about a lead: from the lead, a reply (the messages
    lately sent to them count it; sequences exiting on replies end); either way the
    agent and the lead are talking, which pauses the lead's sequences."""
    lead = lead_brief(UUID(payload["lead_id"]))
    if lead is None:
        return
    if lead.user_id is not None and str(lead.user_id) == payload.get("sender_id"):
        now = timezone.now()
        selectors.touches_for_attribution(lead_ids=[lead.pk], since=selectors.attribution_since()).filter(
            replied_at__isnull=True
        ).update(replied_at=now, updated_at=now)
        services.enrolments_exit_for_lead(lead_id=lead.pk, reason="reply")
    services.enrolments_pause_for_lead(lead_id=lead.pk, reason="The agent and the lead talked.")


@subscribe("listing.listed")
def listing_listed(*, event: str, payload: dict[str, Any]) -> None:
    """A listing on the market (new, published at last, or back): the company's
    ``new_listing`` social rules post it."""
    services.social_posts_on_event(
        listing_id=UUID(payload["id"]), trigger="new_listing", event_key=f"listed:{payload.get('listed_at') or ''}"
    )


@subscribe("listing.price_changed")
def listing_price_changed(*, event: str, payload: dict[str, Any]) -> None:
    """A lower price in the same currency: the company's ``price_drop`` social rules post it."""
    old, new = payload.get("old_price"), payload.get("new_price")
    if old is None or new is None or payload.get("old_currency") != payload.get("currency"):
        return
    if Decimal(new) < Decimal(old):
        services.social_posts_on_event(
            listing_id=UUID(payload["id"]), trigger="price_drop", event_key=f"price:{old}->{new}"
        )
