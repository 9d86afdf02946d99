"""Tools over Domus' own data, run with the caller's permissions (each calls the owning
app's selector for the caller, so a tool sees exactly what the API would show them).

Offline, a rule-based router picks the tools: a listing search parsed from plain
language ("3-bed in Westlands under 80k with parking" -> min_bedrooms=3, search=Westlands,
max_price=80000, features=parking), "my invoices", "my lease", and for agents and staff
"my leads" and "my deals". The filters are shown back to the user with the results."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from domus.core.money import money_str

_NUMBER = r"(\d[\d,]*(?:\.\d+)?)\s*(k|m|mn|million|thousand|bn)?\b"
_MULTIPLIERS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000, "bn": 10**9}
FEATURE_WORDS = {
    "parking": "parking",
    "garage": "parking",
    "pool": "swimming-pool",
    "swimming pool": "swimming-pool",
    "gym": "gym",
    "garden": "garden",
    "balcony": "balcony",
    "security": "security",
    "lift": "elevator",
    "elevator": "elevator",
    "furnished": "furnished",
    "borehole": "borehole",
}
PROPERTY_WORDS = {
    "apartment": "apartment",
    "apartments": "apartment",
    "flat": "apartment",
    "flats": "apartment",
    "penthouse": "apartment",
    "studio": "apartment",
    "house": "house",
    "houses": "house",
    "bungalow": "house",
    "maisonette": "house",
    "villa": "villa",
    "villas": "villa",
    "townhouse": "townhouse",
    "townhouses": "townhouse",
    "land": "land",
    "plot": "land",
    "office": "office",
    "offices": "office",
    "shop": "commercial",
    "commercial": "commercial",
}
LISTING_HINTS = re.compile(
    r"\b(\d+\s*-?\s*(?:bed|beds|bedroom|bedrooms|br|bd)|for rent|to rent|to let|for sale|to buy|listings?|"
    r"propert(?:y|ies)|apartments?|flats?|houses?|villas?|townhouses?|bungalows?|penthouses?|studios?|plots?|offices?)\b",
    re.IGNORECASE,
)


def _amount(number: str, unit: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None
    return value * _MULTIPLIERS.get((unit or "").lower(), 1)


@dataclass
class ListingQuery:
    filters: dict[str, Any] = field(default_factory=dict)
    understood: list[str] = field(default_factory=list)


def parse_listing_query(text: str, *, known_cities: set[str] | None = None) -> ListingQuery:
    """The listing search filters a plain-language request states. A place is a ``city``
    filter when listings have that city, else a text ``search`` (neighbourhoods, streets)."""
    lowered = text.lower()
    parsed = ListingQuery()
    filters = parsed.filters
    if match := re.search(r"\b(\d+)\s*-?\s*(?:\+\s*)?(?:bed|beds|bedroom|bedrooms|br|bd)\b", lowered):
        filters["min_bedrooms"] = int(match.group(1))
        parsed.understood.append(f"at least {match.group(1)} bedrooms")
    elif match := re.search(r"\b(one|two|three|four|five|six)\s*-?\s*(?:bed|beds|bedroom|bedrooms)\b", lowered):
        words = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
        filters["min_bedrooms"] = words[match.group(1)]
        parsed.understood.append(f"at least {filters['min_bedrooms']} bedrooms")
    if match := re.search(
        rf"\bbetween\s+(?:kes|ksh|usd|\$)?\s*{_NUMBER}\s+and\s+(?:kes|ksh|usd|\$)?\s*{_NUMBER}", lowered
    ):
        low, high = _amount(match.group(1), match.group(2)), _amount(match.group(3), match.group(4))
        if low is not None and high is not None:
            filters["min_price"], filters["max_price"] = min(low, high), max(low, high)
    else:
        if match := re.search(
            r"\b(?:under|below|less than|max(?:imum)?|up to|at most|cheaper than|within)\s+(?:kes|ksh|usd|\$)?\s*"
            + _NUMBER,
            lowered,
        ):
            filters["max_price"] = _amount(match.group(1), match.group(2))
        if match := re.search(
            rf"\b(?:over|above|more than|at least|min(?:imum)?|from)\s+(?:kes|ksh|usd|\$)?\s*{_NUMBER}", lowered
        ):
            filters["min_price"] = _amount(match.group(1), match.group(2))
    for key in ("min_price", "max_price"):
        if key in filters:
            parsed.understood.append(f"{key.replace('_', ' ')} {money_str(filters[key])}")
    if re.search(r"\b(for rent|to rent|to let|rental|per month|a month|monthly|/month|pm)\b", lowered):
        filters["listing_type"] = "rent"
    elif re.search(r"\b(for sale|to buy|buy|purchase)\b", lowered):
        filters["listing_type"] = "sale"
    if "listing_type" in filters:
        parsed.understood.append(f"for {filters['listing_type']}")
    for word, kind in PROPERTY_WORDS.items():
        if re.search(rf"\b{word}\b", lowered):
            filters["property_type"] = kind
            parsed.understood.append(kind)
            break
    features = sorted({slug for word, slug in FEATURE_WORDS.items() if re.search(rf"\b{word}\b", lowered)})
    if features:
        filters["features"] = ",".join(features)
        parsed.understood.append("with " + ", ".join(features))
    if match := re.search(r"\b(?:in|at|around|near)\s+([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)", text):
        place = match.group(1).strip()
        if known_cities is not None and place.lower() in {city.lower() for city in known_cities}:
            filters["city"] = place
            parsed.understood.append(f"in the city {place}")
        else:
            filters["search"] = place
            parsed.understood.append(f"mentioning {place}")
    return parsed


def _listing_search(actor: Any, question: str) -> dict[str, Any] | None:
    from domus.properties import selectors as properties
    from domus.properties.schemas import ListingFilters

    if not LISTING_HINTS.search(question):
        return None
    cities = set(properties.listing_visible_to(actor).exclude(city="").values_list("city", flat=True).distinct()[:500])
    parsed = parse_listing_query(question, known_cities=cities)
    if not parsed.filters:
        return None
    filters = ListingFilters(**parsed.filters)
    listings = properties.listing_list_for_actor(actor=actor, filters=filters)[:5]
    return {
        "tool": "listing_search",
        "filters": {
            key: (money_str(value) if isinstance(value, Decimal) else value) for key, value in parsed.filters.items()
        },
        "understood": parsed.understood,
        "results": [
            {
                "id": str(listing.pk),
                "title": listing.title,
                "city": listing.city,
                "price": money_str(listing.price),
                "currency": listing.currency,
                "bedrooms": listing.bedrooms,
                "listing_type": listing.listing_type,
            }
            for listing in listings
        ],
    }


def _my_invoices(actor: Any, question: str) -> dict[str, Any] | None:
    from domus.finance.selectors import invoice_visible_to

    if not re.search(r"\b(my|our)\s+(invoices?|bills?|rent due|balance|statements?)\b", question, re.IGNORECASE):
        return None
    invoices = invoice_visible_to(actor).filter(recipient_id=actor.pk).order_by("-due_date", "-id")[:10]
    return {
        "tool": "my_invoices",
        "filters": {"recipient": "you"},
        "results": [
            {
                "id": str(invoice.pk),
                "number": invoice.number,
                "status": invoice.status,
                "due_date": invoice.due_date.isoformat(),
                "total": money_str(invoice.total),
                "amount_paid": money_str(invoice.amount_paid),
                "currency": invoice.currency,
            }
            for invoice in invoices
        ],
    }


def _my_lease(actor: Any, question: str) -> dict[str, Any] | None:
    from domus.leasing.selectors import lease_visible_to

    if not re.search(r"\b(my|our)\s+(leases?|tenanc(?:y|ies)|rent)\b", question, re.IGNORECASE):
        return None
    leases = (
        lease_visible_to(actor)
        .filter(Q(tenant_id=actor.pk) | Q(owner_id=actor.pk))
        .select_related("listing")
        .order_by("-start_date", "-id")[:5]
    )
    return {
        "tool": "my_lease",
        "filters": {"party": "you"},
        "results": [
            {
                "id": str(lease.pk),
                "listing": lease.listing.title,
                "status": lease.status,
                "start_date": lease.start_date.isoformat(),
                "end_date": lease.end_date.isoformat(),
                "rent_amount": money_str(lease.rent_amount),
                "currency": lease.currency,
                "billing_day": lease.billing_day,
            }
            for lease in leases
        ],
    }


def _leads(actor: Any, question: str) -> dict[str, Any] | None:
    from domus.crm.selectors import lead_visible_to

    match = re.search(r"\b(?:my\s+leads?|leads?\s+(?:named|called|for)\s+([\w .'-]+))", question, re.IGNORECASE)
    if not match:
        return None
    leads = lead_visible_to(actor)
    name = (match.group(1) or "").strip(" ?.")
    if name:
        leads = leads.filter(name__icontains=name)
    elif re.search(r"\bmy\s+leads?\b", question, re.IGNORECASE):
        leads = leads.filter(assigned_agent_id=actor.pk) if leads.filter(assigned_agent_id=actor.pk).exists() else leads
    rows = leads.order_by("-score", "-id")[:10]
    return {
        "tool": "lead_lookup",
        "filters": {"name": name} if name else {"assigned": "you"},
        "results": [
            {"id": str(lead.pk), "name": lead.name, "status": lead.status, "score": lead.score} for lead in rows
        ],
    }


def _deals(actor: Any, question: str) -> dict[str, Any] | None:
    from domus.sales.selectors import deal_visible_to

    if not re.search(r"\b(my|our)\s+(deals?|pipeline)\b", question, re.IGNORECASE):
        return None
    deals = deal_visible_to(actor).order_by("-created_at", "-id")[:10]
    return {
        "tool": "deal_lookup",
        "filters": {"visible_to": "you"},
        "results": [
            {
                "id": str(deal.pk),
                "title": deal.title,
                "status": deal.status,
                "amount": money_str(deal.amount),
                "currency": deal.currency,
            }
            for deal in deals
        ],
    }


TOOLS = (_my_invoices, _my_lease, _leads, _deals, _listing_search)


def run_tools(*, actor: Any, question: str) -> list[dict[str, Any]]:
    """The results of every tool the question calls for, with the caller's permissions."""
    if not getattr(actor, "is_authenticated", False):
        return []
    results = []
    for tool in TOOLS:
        result = tool(actor, question)
        if result is not None:
            results.append(result)
    return results
