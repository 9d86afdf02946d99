"""Domain events turned into notifications, dashboard updates and listing updates.

Recipients come from the payload's ``recipient_ids``; the viewing events (which predate
that convention) notify their customer and agent, the saved-search match its owner.
The actor never hears of their own action. Each event notifies a user once."""

from typing import Any

from django.conf import settings
from django.utils import timezone

from domus.communications import realtime, selectors, services
from domus.communications.notices import NOTICES, notice
from domus.core.events import subscribe
from domus.crm import selectors as crm_selectors
from domus.finance import selectors as finance_selectors
from domus.sales import selectors as sales_selectors

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


def notify(*, event: str, payload: dict[str, Any]) -> None:
    """The in-app notification of each recipient and, for the events NOTIFY_OUTBOUND_EVENTS
    names, its e-mail and SMS as their preferences allow (only for notifications made now:
    a redelivered event sends nothing again)."""
    type_, title, body = notice(event, payload)
    created = services.notify_event(
        event=event, payload=payload, recipient_ids=recipients_of(event, payload), type=type_, title=title, body=body
    )
    if any(event.startswith(prefix) for prefix in settings.NOTIFY_OUTBOUND_EVENTS):
        services.notify_outbound(notifications=created, company_id=payload.get("company_id"))


def dashboard(*, event: str, payload: dict[str, Any]) -> None:
    """Tell the staff dashboards of the company, and the admins', that ``event`` happened;
    each watching socket sends its frame with the KPIs as they stand then, coalesced
    (``domus.analytics.live``): nothing is computed when nobody watches."""
    from domus.analytics.live import notice

    realtime.send_message(realtime.dashboard_group(None), notice(event, payload, company_id=None))
    if payload.get("company_id"):
        company_id = payload["company_id"]
        realtime.send_message(realtime.dashboard_group(company_id), notice(event, payload, company_id=company_id))


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


for _event in NOTICES:
    subscribe(_event)(notify)
for _event in DASHBOARD_EVENTS:
    subscribe(_event)(dashboard)
for _event in PROPERTY_EVENTS:
    subscribe(_event)(property_update)
