"""Domain events turned into notifications, dashboard updates and listing updates.

Recipients come from the payload's ``recipient_ids``; the viewing events (which predate
that convention) notify their customer and agent, the saved-search match its owner.
The actor never hears of their own action. Each event notifies a user once."""

from typing import Any

from django.utils import timezone

from domus.communications import realtime, selectors, services
from domus.core.events import subscribe
from domus.crm import selectors as crm_selectors
from domus.finance import selectors as finance_selectors
from domus.sales import selectors as sales_selectors

# event -> (notification type, title)
NOTIFICATIONS: dict[str, tuple[str, str]] = {
    "visit.requested": ("visit", "New viewing request"),
    "visit.confirmed": ("visit", "Viewing confirmed"),
    "visit.rescheduled": ("visit", "Viewing rescheduled"),
    "visit.cancelled": ("visit", "Viewing cancelled"),
    "visit.completed": ("visit", "Viewing completed"),
    "offer.received": ("offer", "New offer received"),
    "offer.countered": ("offer", "Offer countered"),
    "offer.accepted": ("offer", "Offer accepted"),
    "offer.declined": ("offer", "Offer declined"),
    "offer.expired": ("offer", "Offer expired"),
    "contract.signed": ("contract", "Contract signed"),
    "deal.status_changed": ("deal", "Deal status changed"),
    "commission.approved": ("commission", "Commission approved"),
    "lead.assigned": ("lead", "A lead was assigned to you"),
    "lead.captured": ("lead", "New lead"),
    "lease.activated": ("lease", "Lease activated"),
    "invoice.sent": ("invoice", "New invoice"),
    "invoice.overdue": ("invoice", "Invoice overdue"),
    "payment.received": ("payment", "Payment received"),
    "payment.failed": ("payment", "Payment failed"),
    "ticket.replied": ("ticket", "New reply on your support ticket"),
    "ticket.assigned": ("ticket", "A support ticket was assigned to you"),
    "saved_search.matched": ("saved_search", "New listings match your saved search"),
    "membership.invited": ("membership", "You are invited to join a company"),
    "membership.accepted": ("membership", "Invitation accepted"),
    "membership.declined": ("membership", "Invitation declined"),
}
DASHBOARD_EVENTS = (
    "lead.captured",
    "lead.assigned",
    "offer.received",
    "offer.accepted",
    "deal.status_changed",
    "contract.signed",
    "invoice.sent",
    "payment.received",
    "payment.failed",
    "lease.activated",
)
PROPERTY_EVENTS = ("listing.status_changed", "listing.price_changed")


def recipients_of(event: str, payload: dict[str, Any]) -> list[str]:
    """The user ids (str) who should hear of ``event``, never its actor."""
    actor = str(payload.get("actor_id") or "")
    if "recipient_ids" in payload:
        ids = [str(i) for i in payload.get("recipient_ids") or []]
    elif event.startswith("visit."):
        ids = [str(payload[k]) for k in ("customer_id", "agent_id") if payload.get(k)]
    elif event == "saved_search.matched":
        ids = [str(payload["user_id"])] if payload.get("user_id") else []
    else:
        ids = []
    return [i for i in dict.fromkeys(ids) if i != actor]


def _body(event: str, payload: dict[str, Any]) -> str:
    if event == "saved_search.matched":
        count = len(payload.get("listing_ids") or [])
        return f"{count} new listing(s) match your saved search."
    if event.startswith("visit."):
        return f"Viewing on {payload.get('starts_at', '')[:16].replace('T', ' ')} UTC."
    if "subject" in payload:
        return str(payload["subject"])
    return ""


def notify(*, event: str, payload: dict[str, Any]) -> None:
    type_, title = NOTIFICATIONS[event]
    services.notify_event(
        event=event,
        payload=payload,
        recipient_ids=recipients_of(event, payload),
        type=type_,
        title=title,
        body=_body(event, payload),
    )


def dashboard(*, event: str, payload: dict[str, Any]) -> None:
    """Push the event to the staff dashboards with the KPIs as they stand after it: to
    the company's staff with their company's, and to admins with everyone's."""
    frame = {"type": "dashboard", "channel": "dashboard", "event": event, "data": payload}
    realtime.send_now(realtime.dashboard_group(None), {**frame, "kpis": dashboard_kpis(company_id=None)})
    if payload.get("company_id"):
        kpis = dashboard_kpis(company_id=payload["company_id"])
        realtime.send_now(realtime.dashboard_group(payload["company_id"]), {**frame, "kpis": kpis})


def dashboard_kpis(*, company_id: str | None) -> dict[str, Any]:
    """Today's (UTC) live counters of one company, or of all with None."""
    since = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        **crm_selectors.lead_kpis(company_id=company_id, since=since),
        **sales_selectors.offer_kpis(company_id=company_id),
        **finance_selectors.payment_kpis(company_id=company_id, since=since),
        **selectors.ticket_kpis(company_id=company_id),
    }


def property_update(*, event: str, payload: dict[str, Any]) -> None:
    if not payload.get("id"):
        return
    public = {k: v for k, v in payload.items() if k != "actor_id"}
    realtime.send_now(
        realtime.property_group(payload["id"]),
        {"type": "property", "channel": f"property:{payload['id']}", "event": event, "data": public},
    )


for _event in NOTIFICATIONS:
    subscribe(_event)(notify)
for _event in DASHBOARD_EVENTS:
    subscribe(_event)(dashboard)
for _event in PROPERTY_EVENTS:
    subscribe(_event)(property_update)
