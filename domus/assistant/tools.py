"""Tools over Domus' own data, run with the caller's permissions (each calls the owning
app's selector for the caller, so a tool sees exactly what the API would show them).

Offline, a rule-based router picks the tools: a listing search parsed from plain
language ("3-bed in Westlands under 80k with parking" -> min_bedrooms=3, search=Westlands,
max_price=80000, features=parking), "my invoices", "my lease", "my repairs" (the
maintenance work orders they asked for or work on, with their status), and for agents and
staff "my leads" and "my deals". The filters are shown back to the user with the results.

With a model configured, the same tools are offered to it as functions (``FUNCTIONS``) and
its calls run through ``call_tool``: the same code, the same selectors, the caller's rights."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from pydantic import ValidationError

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

    if not LISTING_HINTS.search(question):
        return None
    cities = set(properties.listing_visible_to(actor).exclude(city="").values_list("city", flat=True).distinct()[:500])
    parsed = parse_listing_query(question, known_cities=cities)
    if not parsed.filters:
        return None
    return listing_search(actor, parsed.filters, understood=parsed.understood)


def listing_search(actor: Any, filters: dict[str, Any], *, understood: list[str] | None = None) -> dict[str, Any]:
    """The first five listings ``actor`` may see that match ``filters`` (the listing search's
    own filters, validated by its schema)."""
    from domus.properties import selectors as properties
    from domus.properties.schemas import ListingFilters

    listings = properties.listing_list_for_actor(actor=actor, filters=ListingFilters(**filters))[:5]
    return {
        "tool": "listing_search",
        "filters": {key: (money_str(value) if isinstance(value, Decimal) else value) for key, value in filters.items()},
        "understood": understood if understood is not None else [f"{key} {value}" for key, value in filters.items()],
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
    if not re.search(r"\b(my|our)\s+(invoices?|bills?|rent due|balance|statements?)\b", question, re.IGNORECASE):
        return None
    return my_invoices(actor)


def my_invoices(actor: Any) -> dict[str, Any]:
    from domus.finance.selectors import invoice_visible_to

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
    if not re.search(r"\b(my|our)\s+(leases?|tenanc(?:y|ies)|rent)\b", question, re.IGNORECASE):
        return None
    return my_lease(actor)


def my_lease(actor: Any) -> dict[str, Any]:
    from domus.leasing.selectors import lease_visible_to

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
    match = re.search(r"\b(?:my\s+leads?|leads?\s+(?:named|called|for)\s+([\w .'-]+))", question, re.IGNORECASE)
    if not match:
        return None
    return lead_lookup(actor, name=(match.group(1) or "").strip(" ?."))


def lead_lookup(actor: Any, *, name: str = "") -> dict[str, Any]:
    """Leads ``actor`` may see named like ``name``; without a name, those assigned to them."""
    from domus.crm.selectors import lead_visible_to

    leads = lead_visible_to(actor)
    name = name.strip()[:100]
    if name:
        leads = leads.filter(name__icontains=name)
    else:
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
    if not re.search(r"\b(my|our)\s+(deals?|pipeline)\b", question, re.IGNORECASE):
        return None
    return deal_lookup(actor)


def deal_lookup(actor: Any) -> dict[str, Any]:
    from domus.sales.selectors import deal_visible_to

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


REPAIR_WORDS = re.compile(
    r"\b(?:(?:my|our)\s+(?:repairs?|work\s*orders?|maintenance(?:\s+requests?)?|jobs?|bookings?)|"
    r"status\s+of\s+(?:my|our|the)\s+(?:repair|fix|maintenance|work\s*order))\b",
    re.IGNORECASE,
)


def _my_repairs(actor: Any, question: str) -> dict[str, Any] | None:
    if not REPAIR_WORDS.search(question):
        return None
    return my_repairs(actor)


def my_repairs(actor: Any) -> dict[str, Any]:
    """The repair jobs ``actor`` asked for or works on, newest first (maintenance's own
    selector: what its work-order list shows them)."""
    from domus.maintenance.selectors import work_order_visible_to

    jobs = (
        work_order_visible_to(actor)
        .filter(Q(requester_id=actor.pk) | Q(technician_id=actor.pk))
        .select_related("issue", "other_issue")
        .order_by("-created_at", "-id")[:10]
    )
    return {
        "tool": "my_repairs",
        "filters": {"requested_by_or_assigned_to": "you"},
        "results": [
            {
                "id": str(job.pk),
                "issue": (job.issue.name if job.issue else job.other_issue.name if job.other_issue else "")
                or job.message[:80],
                "status": job.status,
                "status_label": job.get_status_display(),
                "priority": job.priority,
                "requested_at": job.created_at.isoformat(),
                "scheduled_start": job.scheduled_start.isoformat() if job.scheduled_start else None,
                "resolved_at": job.resolved_at.isoformat() if job.resolved_at else None,
            }
            for job in jobs
        ],
    }


TOOLS = (_my_invoices, _my_lease, _my_repairs, _leads, _deals, _listing_search)


def run_tools(*, actor: Any, question: str) -> list[dict[str, Any]]:
    """The results of every tool the question calls for (the offline rule-based router),
    with the caller's permissions."""
    if not getattr(actor, "is_authenticated", False):
        return []
    results = []
    for tool in TOOLS:
        result = tool(actor, question)
        if result is not None:
            results.append(result)
    return results


# Function calling ---------------------------------------------------------------------------

_NO_ARGUMENTS = {"type": "object", "properties": {}, "additionalProperties": False}
FUNCTIONS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "listing_search",
            "description": "Search the property listings the user may see. Use for requests like "
            "'3-bed in Westlands under 80k with parking'.",
            "parameters": {
                "type": "object",
                "properties": {
                    "min_bedrooms": {"type": "integer", "minimum": 0, "maximum": 1000},
                    "min_price": {"type": "number", "minimum": 0},
                    "max_price": {"type": "number", "minimum": 0},
                    "listing_type": {"type": "string", "enum": ["rent", "sale"]},
                    "property_type": {
                        "type": "string",
                        "enum": ["apartment", "house", "villa", "townhouse", "land", "office", "commercial"],
                    },
                    "features": {"type": "string", "description": "Comma-separated feature slugs, e.g. parking,gym"},
                    "city": {"type": "string", "description": "An exact city"},
                    "search": {"type": "string", "description": "Free text: a neighbourhood, a street, a word"},
                },
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "my_invoices",
            "description": "The user's own invoices (tenants and owners).",
            "parameters": _NO_ARGUMENTS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "my_lease",
            "description": "The user's own leases (as tenant or owner).",
            "parameters": _NO_ARGUMENTS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "my_repairs",
            "description": "The repair jobs (maintenance work orders) the user asked for or works on, with status.",
            "parameters": _NO_ARGUMENTS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "lead_lookup",
            "description": "CRM leads the user may see, by name; without a name, the leads assigned to the user.",
            "parameters": {
                "type": "object",
                "properties": {"name": {"type": "string", "maxLength": 100}},
                "additionalProperties": False,
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "deal_lookup",
            "description": "The sales deals the user may see.",
            "parameters": _NO_ARGUMENTS,
        },
    },
]
SIMPLE_TOOLS = {"my_invoices": my_invoices, "my_lease": my_lease, "my_repairs": my_repairs, "deal_lookup": deal_lookup}
LISTING_ARGUMENTS = frozenset(FUNCTIONS[0]["function"]["parameters"]["properties"])


def call_tool(*, actor: Any, name: str, arguments: Any) -> dict[str, Any]:
    """Run one tool a model asked for, with ``actor``'s permissions (the same functions the
    offline router calls). Unknown tools and bad arguments give an ``error`` result the model
    reads back, never an exception."""
    if not getattr(actor, "is_authenticated", False):
        return {"tool": name, "error": "Not signed in.", "results": []}
    if not isinstance(arguments, dict):
        return {"tool": name, "error": "The arguments must be a JSON object.", "results": []}
    try:
        if name == "listing_search":
            unknown = sorted(set(arguments) - LISTING_ARGUMENTS)
            if unknown:
                return {"tool": name, "error": f"Unknown arguments: {', '.join(unknown)}.", "results": []}
            filters = {key: value for key, value in arguments.items() if value not in (None, "")}
            for key in ("min_price", "max_price"):
                if key in filters:
                    filters[key] = Decimal(str(filters[key]))
            return listing_search(actor, filters)
        if name == "lead_lookup":
            return lead_lookup(actor, name=str(arguments.get("name") or ""))
        if name in SIMPLE_TOOLS:
            return SIMPLE_TOOLS[name](actor)
    except (ValidationError, InvalidOperation, TypeError, ValueError) as exc:
        return {"tool": name, "error": f"Bad arguments: {type(exc).__name__}.", "results": []}
    return {"tool": name, "error": "No such tool.", "results": []}
