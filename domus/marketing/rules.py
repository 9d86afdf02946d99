"""Segment rules as a database filter over leads, and the merge fields of message templates."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from domus.core.money import money_str

RULE_KEYS = frozenset(
    {
        "statuses",
        "sources",
        "min_score",
        "max_score",
        "budget_min",
        "budget_max",
        "locations",
        "property_types",
        "tags",
        "active_within_days",
        "inactive_for_days",
        "assigned_agent_ids",
    }
)


def _any_in_json_list(field: str, values: list[str]) -> Q:
    """Whether the JSON list ``field`` holds any of ``values`` (the JSON text holds each
    value quoted: this works on SQLite and PostgreSQL alike)."""
    condition = Q()
    for value in values:
        condition |= Q(**{f"{field}__icontains": f'"{value}"'})
    return condition


def segment_q(rules: dict[str, Any], *, now=None) -> Q:
    """The leads a segment's ``rules`` select; every rule given must hold (AND), each
    list rule matches any of its values (OR). Locations, property types and tags are
    those of the client the lead belongs to."""
    now = now or timezone.now()
    q = Q()
    if rules.get("statuses"):
        q &= Q(status__in=rules["statuses"])
    if rules.get("sources"):
        q &= Q(source__in=rules["sources"])
    if rules.get("min_score") is not None:
        q &= Q(score__gte=rules["min_score"])
    if rules.get("max_score") is not None:
        q &= Q(score__lte=rules["max_score"])
    # A budget rule keeps the leads whose budget range overlaps the one asked.
    if rules.get("budget_min") is not None:
        q &= Q(budget_max__gte=Decimal(str(rules["budget_min"])))
    if rules.get("budget_max") is not None:
        q &= Q(budget_min__lte=Decimal(str(rules["budget_max"])))
    if rules.get("locations"):
        q &= _any_in_json_list("client__locations", rules["locations"])
    if rules.get("property_types"):
        q &= _any_in_json_list("client__property_types", rules["property_types"])
    if rules.get("tags"):
        q &= _any_in_json_list("client__tags", rules["tags"])
    if rules.get("active_within_days") is not None:
        q &= Q(last_activity_at__gte=now - timedelta(days=rules["active_within_days"]))
    if rules.get("inactive_for_days") is not None:
        cutoff = now - timedelta(days=rules["inactive_for_days"])
        q &= Q(last_activity_at__lt=cutoff) | Q(last_activity_at__isnull=True, created_at__lt=cutoff)
    if rules.get("assigned_agent_ids"):
        q &= Q(assigned_agent_id__in=rules["assigned_agent_ids"])
    return q


# Templates -----------------------------------------------------------------------------

MERGE_FIELD = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")
MERGE_FIELDS = frozenset(
    {
        "lead.name",
        "lead.first_name",
        "lead.email",
        "lead.phone",
        "agent.name",
        "agent.email",
        "company.name",
        "listing.title",
        "listing.price",
        "listing.city",
        "listing.url",
    }
)


def unknown_merge_fields(text: str) -> list[str]:
    return sorted({m for m in MERGE_FIELD.findall(text or "") if m not in MERGE_FIELDS})


def merge_values(lead: Any, listing: Any, base_url: str) -> dict[str, str]:
    """What each merge field reads for ``lead`` (and ``listing``, the campaign's or else
    the lead's own); a field with no value reads as empty text."""
    agent = lead.assigned_agent if lead.assigned_agent_id else None
    listing = listing or (lead.listing if lead.listing_id else None)
    values = {
        "lead.name": lead.name,
        "lead.first_name": (lead.name or "").split(" ")[0],
        "lead.email": lead.email,
        "lead.phone": lead.phone,
        "agent.name": (agent.get_full_name() or agent.email) if agent else "",
        "agent.email": agent.email if agent else "",
        "company.name": lead.company.name if lead.company_id else "",
    }
    if listing is not None:
        values.update(
            {
                "listing.title": listing.title,
                "listing.price": f"{money_str(listing.price)} {listing.currency}",
                "listing.city": listing.city,
                "listing.url": f"{base_url.rstrip('/')}/api/v1/properties/listings/{listing.pk}/",
            }
        )
    return values


def render(text: str, values: dict[str, str]) -> str:
    return MERGE_FIELD.sub(lambda m: values.get(m.group(1), ""), text or "")
