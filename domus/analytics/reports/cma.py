"""Comparative market analysis: what a property should sell or let for, from comparable
properties in Domus' own data that the caller may see.

1. Candidates: live listings of the subject's type (sale or rent, property type) and
   currency within a quarter of ``radius_km`` when that holds ``DENSE_FACTOR`` candidates
   per comparable asked, else within ``radius_km`` (a box on the latitude/longitude index, then the
   great-circle distance), of a similar size (half to twice the area) and bedrooms
   (two either side), on the market within the last ``months`` or sold/let; the nearest
   ``CANDIDATE_LIMIT``.
2. Prices: a whole-listing deal closed as won (a sale) or a lease started (a letting)
   within ``months`` is the comparable's price (``sold`` / ``let``); otherwise its asking
   price (``asking``). Comparables with a transaction price rank ahead of asking prices;
   within each group by a similarity score (``SCORE_WEIGHTS``).
3. Adjustments: each comparable's price is moved toward the subject for size, bedrooms,
   age and features, at rates fitted by least squares over the company's own candidates
   (``MIN_FIT_ROWS`` rows at least), a rate by rate fallback to the documented defaults
   (``DEFAULT_RATES``) when the data is too thin or a fitted rate has the wrong sign.
4. The answer: low / median / high of the adjusted prices, a suggested range (the middle
   half, 25th to 75th percentile, around the weighted median) and a confidence from the
   number of comparables, the share with a transaction price and their spread.

Amounts are in one currency (the subject's); nothing is converted or mixed.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import numpy as np
from django.db.models import Q
from django.utils import timezone

from domus.analytics.selectors import caller_scope
from domus.core.exceptions import ValidationFailed
from domus.core.money import money_str
from domus.leasing import selectors as leasing
from domus.properties import selectors as properties
from domus.sales import selectors as sales

CANDIDATE_LIMIT = 200
# The quarter radius is enough when it holds this many candidates per comparable asked.
DENSE_FACTOR = 4
KM_PER_DEGREE_LAT = 111.32
# The similarity score (lower is closer): distance as a share of the radius, the size
# ratio's log, bedrooms apart (per two), age of the price as a share of the window.
SCORE_WEIGHTS = {"distance": 0.4, "size": 0.3, "bedrooms": 0.2, "recency": 0.1}
# A transaction price weighs this much more than an asking price in the suggestion.
TRANSACTION_WEIGHT = 1.5
MIN_FIT_ROWS = 12
# Default rates when the company's history is too thin to fit one (docs/reports.md):
# size at the comparables' median price per m² (the quick-CMA rule), bedrooms at 2 %,
# each year of age at -0.5 %, each feature at 1 % of the comparables' median price.
DEFAULT_RATES = {"bedrooms": Decimal("0.02"), "age": Decimal("-0.005"), "features": Decimal("0.01")}
ATTRIBUTES = ("size", "bedrooms", "age", "features")
SOLD_KIND = {"sale": "sold", "rent": "let"}


@dataclass
class Subject:
    listing_type: str
    property_type: str
    latitude: float
    longitude: float
    area_m2: float
    bedrooms: int | None = None
    year_built: int | None = None
    features: int | None = None
    currency: str | None = None
    listing_id: UUID | None = None
    company_id: UUID | None = None
    title: str = ""
    address: str = ""
    asking_price: Decimal | None = None


@dataclass
class Comparable:
    row: dict[str, Any]
    price: Decimal
    kind: str
    price_date: date
    distance_km: float
    score: float = 0.0
    features: int = 0
    adjustments: list[dict[str, Any]] = field(default_factory=list)
    adjusted: Decimal = Decimal(0)


def _today() -> date:
    return timezone.now().date()


def _age(year_built: int | None, today: date) -> int | None:
    return None if year_built is None else max(today.year - year_built, 0)


def subject_from_listing(*, actor: Any, listing_id: UUID) -> Subject:
    """The subject is one of the caller's visible listings (404 otherwise)."""
    listing = properties.listing_get_for_actor(actor=actor, listing_id=listing_id)
    problems = {}
    if listing.latitude is None or listing.longitude is None:
        problems["listing_id"] = ["The listing has no coordinates; give latitude/longitude and attributes instead."]
    elif listing.area_m2 is None:
        problems["listing_id"] = ["The listing has no area; give area_m2 and the other attributes instead."]
    if problems:
        raise ValidationFailed("The listing cannot be compared.", errors=problems)
    return Subject(
        listing_type=listing.listing_type,
        property_type=listing.property_type,
        latitude=float(listing.latitude),
        longitude=float(listing.longitude),
        area_m2=float(listing.area_m2),
        bedrooms=listing.bedrooms,
        year_built=listing.year_built,
        features=len(listing.features.all()),
        currency=listing.currency,
        listing_id=listing.pk,
        company_id=listing.company_id,
        title=listing.title,
        address=", ".join(part for part in (listing.address, listing.city) if part),
        asking_price=listing.price,
    )


def _box(subject: Subject, radius_km: float) -> Q:
    dlat = radius_km / KM_PER_DEGREE_LAT
    dlng = radius_km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(subject.latitude)), 1e-6))
    lat, lng = subject.latitude, subject.longitude
    box = Q(latitude__gte=_coord(lat - dlat), latitude__lte=_coord(lat + dlat))
    if dlng < 180:
        box &= Q(longitude__gte=_coord(lng - dlng), longitude__lte=_coord(lng + dlng))
    return box


def _coord(value: float) -> Decimal:
    return Decimal(str(round(value, 6)))


CANDIDATE_FIELDS = (
    "id",
    "title",
    "address",
    "city",
    "latitude",
    "longitude",
    "price",
    "currency",
    "bedrooms",
    "area_m2",
    "year_built",
    "status",
    "listed_at",
    "created_at",
    "company_id",
)


def _candidates(*, actor: Any, subject: Subject, radius_km: float, months: int) -> list[dict[str, Any]]:
    cutoff = timezone.now() - timedelta(days=round(months * 30.44))
    queryset = (
        properties.listing_visible_to(actor)
        .filter(_box(subject, radius_km))
        .filter(
            listing_type=subject.listing_type,
            property_type=subject.property_type,
            area_m2__gte=Decimal(str(subject.area_m2 / 2)),
            area_m2__lte=Decimal(str(subject.area_m2 * 2)),
        )
        .filter(
            Q(listed_at__gte=cutoff)
            | Q(listed_at__isnull=True, created_at__gte=cutoff)
            | Q(status__in=("sold", "rented"))
        )
        .exclude(status__in=("draft", "archived"))
    )
    if subject.currency:
        queryset = queryset.filter(currency=subject.currency)
    if subject.bedrooms is not None:
        queryset = queryset.filter(
            Q(bedrooms__isnull=True) | Q(bedrooms__gte=subject.bedrooms - 2, bedrooms__lte=subject.bedrooms + 2)
        )
    if subject.listing_id is not None:
        queryset = queryset.exclude(pk=subject.listing_id)
    queryset = queryset.annotate(
        near=properties.haversine_term(subject.latitude, subject.longitude),
        distance_km=properties.haversine_km(subject.latitude, subject.longitude),
    )
    return list(queryset.order_by("near", "id").values(*CANDIDATE_FIELDS, "distance_km")[:CANDIDATE_LIMIT])


def _transactions(
    *, actor: Any, listing_type: str, ids: list[UUID], since: date
) -> dict[UUID, tuple[Decimal, str, date]]:
    """The latest transaction price per listing: whole-listing deals closed as won (sales)
    or leases that started (lettings), within the window, read through the sales and
    leasing apps' scoped selectors."""
    if not ids:
        return {}
    found: dict[UUID, tuple[Decimal, str, date]] = {}
    if listing_type == "sale":
        rows = (
            sales.deal_visible_to(actor)
            .filter(listing_id__in=ids, unit__isnull=True, status="closed_won", closed_at__date__gte=since)
            .order_by("listing_id", "closed_at")
            .values_list("listing_id", "amount", "currency", "closed_at")
        )
        for listing_id, amount, currency, closed_at in rows:
            found[listing_id] = (amount, currency, closed_at.date())
    else:
        rows = (
            leasing.lease_visible_to(actor)
            .filter(listing_id__in=ids, unit__isnull=True, status__in=("active", "ended"), start_date__gte=since)
            .order_by("listing_id", "start_date")
            .values_list("listing_id", "rent_amount", "currency", "start_date")
        )
        for listing_id, amount, currency, start_date in rows:
            found[listing_id] = (amount, currency, start_date)
    return found


def _feature_counts(*, actor: Any, ids: list[UUID]) -> dict[UUID, int]:
    counts: dict[UUID, int] = dict.fromkeys(ids, 0)
    if ids:
        rows = properties.listing_visible_to(actor).filter(pk__in=ids, features__isnull=False)
        for listing_id in rows.values_list("id", flat=True):
            counts[listing_id] += 1
    return counts


def _score(comp: Comparable, subject: Subject, *, radius_km: float, months: int, today: date) -> float:
    row = comp.row
    size = abs(math.log(float(row["area_m2"]) / subject.area_m2))
    bedrooms = (
        abs(row["bedrooms"] - subject.bedrooms) / 2
        if row["bedrooms"] is not None and subject.bedrooms is not None
        else 0.5
    )
    recency = min((today - comp.price_date).days / (months * 30.44), 1.0)
    w = SCORE_WEIGHTS
    return (
        w["distance"] * comp.distance_km / radius_km
        + w["size"] * size
        + w["bedrooms"] * bedrooms
        + w["recency"] * max(recency, 0.0)
    )


def _values(comp_or_subject: Any, today: date) -> dict[str, float | None]:
    """The attributes the adjustments use: area, bedrooms, age in years, feature count."""
    if isinstance(comp_or_subject, Subject):
        s = comp_or_subject
        return {
            "size": s.area_m2,
            "bedrooms": s.bedrooms,
            "age": _age(s.year_built, today),
            "features": s.features,
        }
    row = comp_or_subject.row
    return {
        "size": float(row["area_m2"]),
        "bedrooms": row["bedrooms"],
        "age": _age(row["year_built"], today),
        "features": comp_or_subject.features,
    }


def fit_rates(rows: list[tuple[dict[str, float | None], float]]) -> dict[str, Any]:
    """Least squares of price on area, bedrooms, age and feature count over ``rows``
    (attributes, price); answers the fitted rate per attribute (price per unit), the row
    count and R², or ``None`` rates when fewer than ``MIN_FIT_ROWS`` complete rows."""
    complete = [(values, price) for values, price in rows if all(values[a] is not None for a in ATTRIBUTES)]
    if len(complete) < MIN_FIT_ROWS:
        return {"rows": len(complete), "r2": None, "rates": dict.fromkeys(ATTRIBUTES)}
    x = np.array([[1.0, *(float(values[a]) for a in ATTRIBUTES)] for values, _ in complete])
    y = np.array([price for _, price in complete])
    coefficients, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    if rank < x.shape[1]:  # a constant column (every row the same age, ...): no rate for it
        varying = [i for i in range(1, x.shape[1]) if np.ptp(x[:, i]) > 0]
        coefficients = np.zeros(x.shape[1])
        if varying:
            cols = [0, *varying]
            sub, _, _, _ = np.linalg.lstsq(x[:, cols], y, rcond=None)
            coefficients[cols] = sub
    predicted = x @ coefficients
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float(((y - predicted) ** 2).sum()) / total if total else None
    rates = {a: float(coefficients[i + 1]) if np.ptp(x[:, i + 1]) > 0 else None for i, a in enumerate(ATTRIBUTES)}
    return {"rows": len(complete), "r2": None if r2 is None else round(r2, 4), "rates": rates}


# A fitted rate is used only with the sign the market gives it: more area, more bedrooms
# and more features never lower the price; more age never raises it.
SIGNS = {"size": 1, "bedrooms": 1, "age": -1, "features": 1}


def _rates(fit: dict[str, Any], median_price: Decimal, median_per_m2: Decimal) -> dict[str, tuple[Decimal, str]]:
    defaults = {
        "size": median_per_m2,
        "bedrooms": median_price * DEFAULT_RATES["bedrooms"],
        "age": median_price * DEFAULT_RATES["age"],
        "features": median_price * DEFAULT_RATES["features"],
    }
    chosen: dict[str, tuple[Decimal, str]] = {}
    for attribute in ATTRIBUTES:
        fitted = fit["rates"].get(attribute)
        if fitted is not None and math.isfinite(fitted) and fitted * SIGNS[attribute] > 0:
            chosen[attribute] = (Decimal(str(round(fitted, 2))), "fitted")
        else:
            chosen[attribute] = (defaults[attribute].quantize(Decimal("0.01")), "default")
    return chosen


def _weighted_median(values: list[Decimal], weights: list[float]) -> Decimal:
    pairs = sorted(zip(values, weights, strict=True))
    half = sum(weights) / 2
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= half:
            return value
    return pairs[-1][0]


def _percentile(values: list[Decimal], q: float) -> Decimal:
    return Decimal(str(float(np.percentile([float(v) for v in values], q)))).quantize(Decimal("0.01"))


def _confidence(comps: list[Comparable]) -> dict[str, Any]:
    if not comps:
        return {"level": "none", "score": 0.0, "reasons": ["No comparable found; widen the radius or the window."]}
    adjusted = [float(c.adjusted) for c in comps]
    mean = sum(adjusted) / len(adjusted)
    cv = (float(np.std(adjusted)) / mean) if mean else 1.0
    transactions = sum(1 for c in comps if c.kind != "asking")
    score = 0.4 * min(len(comps) / 6, 1.0) + 0.3 * (transactions / len(comps)) + 0.3 * max(0.0, 1 - cv / 0.3)
    level = "high" if score >= 0.7 else "medium" if score >= 0.4 else "low"
    reasons = [
        f"{len(comps)} comparable(s), {transactions} with a transaction price.",
        f"Adjusted prices spread {cv:.0%} around their mean.",
    ]
    return {"level": level, "score": round(score, 3), "reasons": reasons}


def _comp_out(comp: Comparable, rank: int) -> dict[str, Any]:
    row = comp.row
    return {
        "rank": rank,
        "listing_id": row["id"],
        "title": row["title"],
        "address": ", ".join(part for part in (row["address"], row["city"]) if part),
        "latitude": float(row["latitude"]),
        "longitude": float(row["longitude"]),
        "distance_km": round(comp.distance_km, 3),
        "status": row["status"],
        "price_kind": comp.kind,
        "price": money_str(comp.price),
        "price_date": comp.price_date,
        "asking_price": money_str(row["price"]),
        "area_m2": float(row["area_m2"]),
        "price_per_m2": money_str(comp.price / Decimal(str(row["area_m2"]))),
        "bedrooms": row["bedrooms"],
        "year_built": row["year_built"],
        "features": comp.features,
        "similarity": round(max(0.0, 1 - comp.score), 3),
        "adjustments": comp.adjustments,
        "adjusted_price": money_str(comp.adjusted),
    }


def _subject_out(subject: Subject) -> dict[str, Any]:
    return {
        "listing_id": subject.listing_id,
        "title": subject.title,
        "address": subject.address,
        "listing_type": subject.listing_type,
        "property_type": subject.property_type,
        "latitude": subject.latitude,
        "longitude": subject.longitude,
        "area_m2": subject.area_m2,
        "bedrooms": subject.bedrooms,
        "year_built": subject.year_built,
        "features": subject.features,
        "asking_price": None if subject.asking_price is None else money_str(subject.asking_price),
    }


def cma_build(
    *, actor: Any, subject: Subject, radius_km: float = 5.0, months: int = 24, max_comparables: int = 8
) -> dict[str, Any]:
    """The comparative market analysis of ``subject`` (module docstring): at most four
    reads (candidates twice, transactions, features) whatever the data size."""
    today = _today()
    # A dense area has enough comparables in a quarter of the radius (a sixteenth of the
    # box to read); a sparse one is read again at the full radius.
    searched = radius_km / 4
    rows = _candidates(actor=actor, subject=subject, radius_km=searched, months=months)
    if len(rows) < max_comparables * DENSE_FACTOR:
        searched = radius_km
        rows = _candidates(actor=actor, subject=subject, radius_km=searched, months=months)
    if subject.currency is None and rows:
        # An address without a currency: the currency most nearby comparables are priced in.
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["currency"]] = counts.get(row["currency"], 0) + 1
        subject.currency = max(sorted(counts), key=counts.__getitem__)
    rows = [row for row in rows if row["currency"] == subject.currency]
    ids = [row["id"] for row in rows]
    since = today - timedelta(days=round(months * 30.44))
    deals = _transactions(actor=actor, listing_type=subject.listing_type, ids=ids, since=since)
    features = _feature_counts(actor=actor, ids=ids)

    comps: list[Comparable] = []
    for row in rows:
        done = deals.get(row["id"])
        if done is not None and done[1] == subject.currency:
            comp = Comparable(row, done[0], SOLD_KIND[subject.listing_type], done[2], float(row["distance_km"]))
        elif row["status"] in ("sold", "rented"):
            continue  # off the market without a price we may see: its asking price says little
        else:
            listed = (row["listed_at"] or row["created_at"]).date()
            comp = Comparable(row, row["price"], "asking", listed, float(row["distance_km"]))
        comp.features = features.get(row["id"], 0)
        comp.score = _score(comp, subject, radius_km=searched, months=months, today=today)
        comps.append(comp)

    own = {subject.company_id} if subject.company_id else set(caller_scope(actor).company_ids)
    history = [(_values(c, today), float(c.price)) for c in comps if not own or c.row["company_id"] in own]
    fit = fit_rates(history)

    comps.sort(key=lambda c: (c.kind == "asking", c.score, str(c.row["id"])))
    chosen = comps[:max_comparables]
    median_price = _percentile([c.price for c in chosen], 50) if chosen else Decimal(0)
    median_per_m2 = (
        _percentile([c.price / Decimal(str(c.row["area_m2"])) for c in chosen], 50) if chosen else Decimal(0)
    )
    rates = _rates(fit, median_price, median_per_m2)
    subject_values = _values(subject, today)
    for comp in chosen:
        comp_values = _values(comp, today)
        total = Decimal(0)
        for attribute in ATTRIBUTES:
            mine, theirs = subject_values[attribute], comp_values[attribute]
            if mine is None or theirs is None or mine == theirs:
                continue
            rate, basis = rates[attribute]
            difference = Decimal(str(round(float(mine) - float(theirs), 2)))
            amount = (rate * difference).quantize(Decimal("0.01"))
            total += amount
            comp.adjustments.append(
                {
                    "attribute": attribute,
                    "subject": mine,
                    "comparable": theirs,
                    "difference": float(difference),
                    "rate": money_str(rate),
                    "basis": basis,
                    "amount": money_str(amount),
                }
            )
        comp.adjusted = max(comp.price + total, Decimal(0))

    adjusted = [c.adjusted for c in chosen]
    weights = [(TRANSACTION_WEIGHT if c.kind != "asking" else 1.0) / (c.score + 0.05) for c in chosen]
    estimate = None
    if chosen:
        estimate = {
            "low": money_str(min(adjusted)),
            "median": money_str(_percentile(adjusted, 50)),
            "high": money_str(max(adjusted)),
            "suggested": money_str(_weighted_median(adjusted, weights)),
            "suggested_low": money_str(_percentile(adjusted, 25)),
            "suggested_high": money_str(_percentile(adjusted, 75)),
            "price_per_m2": money_str(_percentile([a / Decimal(str(subject.area_m2)) for a in adjusted], 50)),
        }
    return {
        "generated_at": timezone.now(),
        "subject": _subject_out(subject),
        "currency": subject.currency,
        "criteria": {
            "radius_km": radius_km,
            "searched_km": searched,
            "months": months,
            "max_comparables": max_comparables,
            "candidates": len(comps),
        },
        "model": {
            "method": "least_squares" if any(basis == "fitted" for _, basis in rates.values()) else "defaults",
            "rows": fit["rows"],
            "min_rows": MIN_FIT_ROWS,
            "r2": fit["r2"],
            "rates": [{"attribute": a, "rate": money_str(rates[a][0]), "basis": rates[a][1]} for a in ATTRIBUTES],
        },
        "comparables": [_comp_out(c, i) for i, c in enumerate(chosen, start=1)],
        "estimate": estimate,
        "confidence": _confidence(chosen),
    }


def parse_subject(*, actor: Any, data: dict[str, Any]) -> Subject:
    """The subject from a request body: a visible listing (``listing_id``), or an address
    with coordinates and attributes (each missing one named in a 400)."""
    if data.get("listing_id") is not None:
        subject = subject_from_listing(actor=actor, listing_id=data["listing_id"])
        for name in ("area_m2", "bedrooms", "year_built"):  # the caller may correct an attribute
            if data.get(name) is not None:
                setattr(subject, name, float(data[name]) if name == "area_m2" else data[name])
        return subject
    required = ("latitude", "longitude", "listing_type", "property_type", "area_m2")
    missing = {name: ["Required without listing_id."] for name in required if data.get(name) is None}
    if missing:
        raise ValidationFailed("Give a listing_id, or coordinates and attributes.", errors=missing)
    features = data.get("features") or []
    return Subject(
        listing_type=data["listing_type"],
        property_type=data["property_type"],
        latitude=float(data["latitude"]),
        longitude=float(data["longitude"]),
        area_m2=float(data["area_m2"]),
        bedrooms=data.get("bedrooms"),
        year_built=data.get("year_built"),
        features=len(features) if data.get("features") is not None else None,
        currency=data.get("currency"),
        address=data.get("address") or "",
        title=data.get("address") or "",
    )
