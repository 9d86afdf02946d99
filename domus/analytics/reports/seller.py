"""The weekly seller pack: for each owner with listings on the market, per listing, over
the last seven days, the saves, leads, viewings and offers, and its days on the market
against the comparables' (the CMA's asking-price comparables). Read as the owner sees
them (``listing_visible_to(owner)``), counted per relation in one grouped query each;
e-mailed through the communications app (in-app notification and e-mail, the owner's
e-mail preference respected).

Domus records no page views of a listing, so the pack has no "views" line (say so
rather than show a number it does not have)."""

from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Q

from domus.accounts import selectors as accounts
from domus.analytics.reports import cma
from domus.communications import selectors as communications_selectors
from domus.communications import services as communications
from domus.integrations.messaging import SendFailed, adapter_for
from domus.properties import selectors as properties

LIVE_STATUSES = ("available", "under_offer")
RELATIONS = {
    "saves": ("favorites", "favorites__created_at"),
    "leads": ("crm_leads", "crm_leads__created_at"),
    "viewings": ("visits", "visits__starts_at"),
    "offers": ("sales_offers", "sales_offers__created_at"),
}


def owners_with_live_listings() -> list[Any]:
    """The owners of the published sale listings on the market (what anyone may see)."""
    return list(
        properties.listing_visible_to(None)
        .filter(listing_type="sale", status__in=LIVE_STATUSES)
        .values_list("owner_id", flat=True)
        .distinct()
        .order_by("owner_id")
    )


def _days_on_market(listed: datetime | None, created: datetime, today: date) -> int:
    return max((today - (listed or created).date()).days, 0)


def seller_pack_build(*, owner: Any, today: date) -> dict[str, Any]:
    """The pack of one owner for the week ending ``today``."""
    start = datetime.combine(today - timedelta(days=7), time.min, tzinfo=UTC)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
    listings = properties.listing_visible_to(owner).filter(
        owner_id=owner.pk, listing_type="sale", status__in=LIVE_STATUSES
    )
    rows = {
        r["id"]: {**r, "saves": 0, "leads": 0, "viewings": 0, "offers": 0}
        for r in listings.order_by("title", "id").values(
            "id",
            "title",
            "price",
            "currency",
            "listed_at",
            "created_at",
            "latitude",
            "longitude",
            "area_m2",
            "property_type",
            "bedrooms",
            "year_built",
        )
    }
    for name, (relation, when) in RELATIONS.items():
        counted = listings.values_list("id").annotate(
            n=Count(relation, filter=Q(**{f"{when}__gte": start, f"{when}__lt": end}))
        )
        for listing_id, n in counted.order_by():
            rows[listing_id][name] = n
    out = []
    for row in rows.values():
        comparable_days = None
        if row["latitude"] is not None and row["longitude"] is not None and row["area_m2"] is not None:
            subject = cma.Subject(
                listing_type="sale", property_type=row["property_type"], latitude=float(row["latitude"]),
                longitude=float(row["longitude"]), area_m2=float(row["area_m2"]), bedrooms=row["bedrooms"],
                year_built=row["year_built"], currency=row["currency"], listing_id=row["id"],
            )  # fmt: skip
            report = cma.cma_build(actor=owner, subject=subject)
            asking = [(today - c["price_date"]).days for c in report["comparables"] if c["price_kind"] == "asking"]
            comparable_days = round(median(asking)) if asking else None
        out.append(
            {
                "listing_id": row["id"],
                "title": row["title"],
                "saves": row["saves"],
                "leads": row["leads"],
                "viewings": row["viewings"],
                "offers": row["offers"],
                "days_on_market": _days_on_market(row["listed_at"], row["created_at"], today),
                "comparables_days_on_market": comparable_days,
            }
        )
    return {"owner_id": owner.pk, "week_ending": today, "listings": out}


def seller_pack_text(pack: dict[str, Any]) -> str:
    lines = [f"Your listings, the week ending {pack['week_ending']}:", ""]
    for row in pack["listings"]:
        against = (
            f"(comparables: {row['comparables_days_on_market']})"
            if row["comparables_days_on_market"] is not None
            else ""
        )
        lines.append(
            f"- {row['title']}: {row['saves']} saves, {row['leads']} leads, {row['viewings']} viewings, "
            f"{row['offers']} offers; {row['days_on_market']} days on the market {against}".rstrip()
        )
    lines += ["", "Page views are not recorded by Domus and are not part of this summary."]
    return "\n".join(lines)


def seller_pack_send(*, owner: Any, today: date) -> bool:
    """Build the owner's pack, notify them in the app and e-mail it (unless they turned
    e-mail off). Answers whether there was anything to send."""
    pack = seller_pack_build(owner=owner, today=today)
    if not pack["listings"]:
        return False
    text = seller_pack_text(pack)
    title = f"Your weekly seller report ({today})"
    communications.notify_event(
        event="reports.seller_pack",
        payload={"owner_id": str(owner.pk), "week_ending": today.isoformat(), "listings": len(pack["listings"])},
        recipient_ids=[str(owner.pk)],
        type="report",
        title=title,
        body=text,
    )
    if owner.email and communications_selectors.preference_for(owner).email_enabled:
        try:
            adapter_for("email").send(to=owner.email, subject=title, body=text)
        except SendFailed:
            return True  # the in-app notification stands; the next week's pack is sent again
    return True


def seller_packs_send(*, today: date) -> int:
    sent = 0
    for owner_id in owners_with_live_listings():
        owner = accounts.active_user(owner_id)
        if owner is not None and seller_pack_send(owner=owner, today=today):
            sent += 1
    return sent
