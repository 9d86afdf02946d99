"""What a notification made from a domain event says: its type, title and a body a
client shows as is (amounts with their currency, names, times), written from the
event's payload alone. Used by the subscribers and by the migration that filled in
the bodies of older notifications."""

from typing import Any

# event -> (notification type, title, body template, body when the payload lacks a field)
NOTICES: dict[str, tuple[str, str, str, str]] = {
    "visit.requested": (
        "visit",
        "New viewing request",
        "Viewing requested for {when} UTC.",
        "A viewing was requested.",
    ),
    "visit.confirmed": ("visit", "Viewing confirmed", "Viewing confirmed for {when} UTC.", "A viewing was confirmed."),
    "visit.rescheduled": ("visit", "Viewing rescheduled", "Viewing moved to {when} UTC.", "A viewing was rescheduled."),
    "visit.cancelled": (
        "visit",
        "Viewing cancelled",
        "The viewing of {when} UTC is cancelled.",
        "A viewing was cancelled.",
    ),
    "visit.completed": ("visit", "Viewing completed", "The viewing of {when} UTC took place.", "A viewing took place."),
    "offer.received": ("offer", "New offer received", "An offer of {money}.", "A new offer came in."),
    "offer.countered": ("offer", "Offer countered", "A counter-offer of {money}.", "An offer was countered."),
    "offer.accepted": ("offer", "Offer accepted", "The offer of {money} was accepted.", "An offer was accepted."),
    "offer.declined": ("offer", "Offer declined", "The offer of {money} was declined.", "An offer was declined."),
    "offer.expired": ("offer", "Offer expired", "The offer of {money} expired.", "An offer expired."),
    "contract.signed": ("contract", "Contract signed", "{title} is signed by every party.", "A contract was signed."),
    "deal.status_changed": ("deal", "Deal status changed", "{title}: now {status}.", "A deal moved on."),
    "commission.approved": (
        "commission",
        "Commission approved",
        "Your commission of {money} was approved.",
        "A commission was approved.",
    ),
    "lead.assigned": ("lead", "A lead was assigned to you", "{name} is yours to follow up.", "A lead is yours."),
    "lead.captured": ("lead", "New lead", "{name} got in touch.", "Someone got in touch."),
    "lease.activated": ("lease", "Lease activated", "The lease is active; rent {money}.", "A lease is active."),
    "invoice.sent": ("invoice", "New invoice", "Invoice {number}: {money}.", "A new invoice was issued."),
    "invoice.overdue": (
        "invoice",
        "Invoice overdue",
        "An invoice is overdue; a late fee of {late_fee} {currency} was added.",
        "An invoice is overdue.",
    ),
    "payment.received": ("payment", "Payment received", "{money} received. Thank you.", "A payment was received."),
    "payment.failed": ("payment", "Payment failed", "The payment of {money} did not go through.", "A payment failed."),
    "ticket.replied": ("ticket", "New reply on your support ticket", "{subject}", "A support ticket has a reply."),
    "ticket.assigned": ("ticket", "A support ticket was assigned to you", "{subject}", "A support ticket is yours."),
    "saved_search.matched": (
        "saved_search",
        "New listings match your saved search",
        "{count} new listing(s) match your saved search.",
        "New listings match your saved search.",
    ),
    "work_order.requested": (
        "maintenance",
        "New repair request",
        "{name}: a repair was requested.",
        "A repair was requested.",
    ),
    "work_order.status_changed": (
        "maintenance",
        "Repair status changed",
        "{name}: now {status}.",
        "A repair moved on.",
    ),
    "work_order.assigned": (
        "maintenance",
        "Repair visit booked",
        "{name}: a technician is booked.",
        "A visit is booked.",
    ),
    "work_order.offered": ("maintenance", "A repair job is offered to you", "{name}", "A job waits for your answer."),
    "work_order.vendor_answered": (
        "maintenance",
        "The vendor answered",
        "{name}: the vendor {vendor_status} the job.",
        "A vendor answered.",
    ),
    "work_order.approval_requested": (
        "maintenance",
        "A repair estimate needs your approval",
        "{name}: estimate {estimate} {currency}.",
        "A repair estimate needs your approval.",
    ),
    "work_order.approval_decided": (
        "maintenance",
        "The owner decided on an estimate",
        "{name}: {approval}.",
        "The owner decided on an estimate.",
    ),
    "work_order.sla_at_risk": (
        "maintenance",
        "A repair is near its deadline",
        "{name}: due by {resolve_due_at}.",
        "A repair is near its deadline.",
    ),
    "work_order.preventive_due": (
        "maintenance",
        "Preventive maintenance due",
        "{name}: due {due_on}.",
        "Preventive maintenance is due.",
    ),
    "membership.invited": (
        "membership",
        "You are invited to join a company",
        "{subject}",
        "A company invites you to join it.",
    ),
    "membership.accepted": ("membership", "Invitation accepted", "{subject}", "Your invitation was accepted."),
    "membership.declined": ("membership", "Invitation declined", "{subject}", "Your invitation was declined."),
}


# What somebody without an account (a public booking's name, e-mail and phone) hears of
# the ``work_order.*`` steps that concern them: kind -> (title, body, body without a time).
GUEST_NOTICES: dict[str, tuple[str, str, str]] = {
    "received": (
        "We received your repair request",
        "Hello {name}, we received your repair request for {address}. We will tell you when a visit is booked.",
        "",
    ),
    "scheduled": (
        "Your repair visit is booked",
        "Hello {name}, the repair visit at {address} is booked for {when} UTC.",
        "Hello {name}, the repair at {address} is scheduled; we will tell you the time of the visit.",
    ),
    "work_done": ("Your repair is done", "Hello {name}, the repair work at {address} is done.", ""),
    "closed": (
        "Your repair request is closed",
        "Hello {name}, your repair request for {address} is closed. Thank you.",
        "",
    ),
    "cancelled": (
        "Your repair request is cancelled",
        "Hello {name}, your repair request for {address} is cancelled.",
        "",
    ),
    "rejected": (
        "Your repair request was declined",
        "Hello {name}, we cannot take your repair request for {address}.",
        "",
    ),
}


def guest_kind(event: str, status: str) -> str:
    """Which guest notice a ``work_order.*`` event is ('' when a guest hears nothing of it):
    received, scheduled (a visit booked), work done, closed, cancelled or rejected."""
    if event == "work_order.requested":
        return "received"
    if event == "work_order.assigned":
        return "scheduled" if status == "scheduled" else ""
    if event == "work_order.status_changed" and status in GUEST_NOTICES and status != "received":
        return status
    return ""


def guest_notice(kind: str, *, name: str, address: str, starts_at: Any = None) -> tuple[str, str]:
    """``(subject, body)`` of the guest notice ``kind``."""
    title, template, untimed = GUEST_NOTICES[kind]
    fields = {"name": name.strip() or "there", "address": address.strip() or "your address"}
    if starts_at:
        fields["when"] = str(starts_at)[:16].replace("T", " ")
    elif untimed:
        template = untimed
    return title, template.format(**fields)


def _fields(payload: dict[str, Any]) -> dict[str, Any]:
    fields = {key: value for key, value in payload.items() if value not in (None, "")}
    if payload.get("starts_at"):
        fields["when"] = str(payload["starts_at"])[:16].replace("T", " ")
    currency = payload.get("currency")
    amount = next((payload[k] for k in ("amount", "total", "rent_amount", "price") if payload.get(k)), None)
    if currency and amount:
        fields["money"] = f"{currency} {amount}"
    if "listing_ids" in payload:
        fields["count"] = len(payload.get("listing_ids") or [])
    if "status" in fields:
        fields["status"] = str(fields["status"]).replace("_", " ")
    return fields


def notice(event: str, payload: dict[str, Any]) -> tuple[str, str, str]:
    """``(type, title, body)`` of the notification of ``event``."""
    type_, title, template, fallback = NOTICES[event]
    try:
        body = template.format(**_fields(payload))
    except (KeyError, IndexError, ValueError):
        body = fallback
    return type_, title, body
