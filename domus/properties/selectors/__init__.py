"""Reads of listings, units, price history and features, always scoped to what the
caller may see: published listings for everyone; drafts and unpublished listings for
their owner, their agent, their company's staff and admins."""

import functools
import json
import math
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection, transaction
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    UUIDField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import ASin, Cast, Cos, Floor, Least, Power, Radians, Sin, Sqrt

from domus.core.compiled import ShapeQuery
from domus.core.exceptions import NotFound, ValidationFailed
from domus.core.filtering import filter_list, order_by_whitelist
from domus.core.policies import is_admin
from domus.core.scope import Period, Scope
from domus.organizations.selectors import staff_company_ids
from domus.properties.caching import cache_key, cached_answer, refresh_done, store_answer, versioned
from domus.properties.models import (
    FacetGroup,
    Feature,
    Listing,
    ListingMedia,
    MapGridCell,
    PriceChange,
    Unit,
)
from domus.properties.schemas import ListingFilters, MapFilters
from domus.properties.selectors.detail import listing_get_for_actor as listing_get_for_actor
from domus.properties.selectors.visibility import authenticated as _authenticated
from domus.properties.selectors.visibility import listing_visible_to
from domus.properties.selectors.visibility import public_listing_q as public_listing_q

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LAT = 111.32
DEFAULT_RADIUS_KM = 10.0
ORDERING_FIELDS = ("price", "created_at", "area_m2", "bedrooms")
# Public names of ordering fields that differ from the column they sort by.
# Ordered with empty values last (price and created_at are never empty).
NULLABLE_ORDERING = frozenset({"area_m2", "bedrooms"})
# Distance orders by the haversine term (``_near``), which grows with distance_km.
ORDERING_ALIASES = {"area": "area_m2", "distance_km": "distance"}
TOP_CITIES = 20
# Search results are counted exactly up to this many, and paged through no deeper
# (OFFSET paging reads every skipped row).
COUNT_EXACT_UP_TO = 10_000
MAX_RESULT_DEPTH = COUNT_EXACT_UP_TO
# ``ordering=relevance`` ranks this many of the newest matches by ts_rank (the weights of
# ``search_document``): ranking every match of a common word scans all of them
# (measured: 667 ms for every match of a common word; the newest 500 ranked: under 1 ms).
RELEVANCE = "relevance"
RELEVANCE_WINDOW = 500
PG_RANK_SQL = 'ts_rank("properties_listing"."search_document", websearch_to_tsquery(\'english\'::regconfig, %s))'
# A planner estimate this far above the cap is trusted without a capped count.
COUNT_ESTIMATE_ONLY_ABOVE = 5 * COUNT_EXACT_UP_TO
FACET_FIELDS = ("property_type", "listing_type", "city", "bedrooms", "price_bucket")
PRICE_BUCKETS: tuple[tuple[Decimal, Decimal | None], ...] = (
    (Decimal(0), Decimal(50_000)),
    (Decimal(50_000), Decimal(100_000)),
    (Decimal(100_000), Decimal(250_000)),
    (Decimal(250_000), Decimal(500_000)),
    (Decimal(500_000), Decimal(1_000_000)),
    (Decimal(1_000_000), Decimal(5_000_000)),
    (Decimal(5_000_000), Decimal(20_000_000)),
    (Decimal(20_000_000), None),
)
# The facet roll-up's finer price grid: bounds at 1, 1.5, 2, 2.5, 3, 4, 5, 6 and 7.5 of
# each power of ten from 10,000 to 100 million. Every bucket bound above is a step bound,
# so a price range between round prices sums whole steps of the roll-up.
PRICE_STEP_BOUNDS = (
    Decimal(0),
    *(Decimal(m) * 10**e for e in range(3, 7) for m in (10, 15, 20, 25, 30, 40, 50, 60, 75)),
    Decimal(100_000_000),
)
PRICE_STEPS: tuple[tuple[Decimal, Decimal | None], ...] = tuple(
    zip(PRICE_STEP_BOUNDS, (*PRICE_STEP_BOUNDS[1:], None), strict=True)
)
# PostgreSQL: full text over the stored, weighted ``search_document`` (migration 0001),
# or a trigram word match on the title or on the city and address (0009), so misspelled
# words still find it. All are answered from GIN indexes.
PG_FULL_TEXT_SQL = '"properties_listing"."search_document" @@ websearch_to_tsquery(\'english\'::regconfig, %s)'
PG_TITLE_TRIGRAM_SQL = '%s <%% "properties_listing"."title"'
PG_PLACE_TRIGRAM_SQL = '%s <%% ("properties_listing"."city" || \' \' || "properties_listing"."address")'
PG_SEARCH_SQL = f"({PG_FULL_TEXT_SQL} OR {PG_TITLE_TRIGRAM_SQL} OR {PG_PLACE_TRIGRAM_SQL})"
# The same condition in two disjoint halves (``_search_halves``): a row matches the search
# iff it matches one of them, and no row matches both.
PG_TRIGRAM_ONLY_SQL = f"(({PG_FULL_TEXT_SQL}) IS NOT TRUE AND ({PG_TITLE_TRIGRAM_SQL} OR {PG_PLACE_TRIGRAM_SQL}))"
# PostgreSQL: a listing as a point on the earth; the expression of the GiST index
# ``listing_public_earth`` (migration 0006), which ``near`` reads.
PG_EARTH_POINT = 'll_to_earth("properties_listing"."latitude"::float8, "properties_listing"."longitude"::float8)'
SQLITE_SEARCH_FIELDS = ("title", "description", "city", "address")


# Parsing geo parameters -----------------------------------------------------------------


def _floats(raw: str, count: int, field: str, shape: str) -> list[float]:
    parts = [p.strip() for p in raw.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise ValidationFailed(f"Malformed {field}.", errors={field: [f"Expected {shape} (numbers)."]})
    return values


def parse_bbox(raw: str) -> tuple[float, float, float, float]:
    """``min_lng,min_lat,max_lng,max_lat`` -> floats (the latitudes in order); 400 with
    field errors when malformed."""
    min_lng, min_lat, max_lng, max_lat = _floats(raw, 4, "bbox", "min_lng,min_lat,max_lng,max_lat")
    problems = []
    if not (-180 <= min_lng <= 180 and -180 <= max_lng <= 180):
        problems.append("Longitudes must be between -180 and 180.")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        problems.append("Latitudes must be between -90 and 90.")
    if problems:
        raise ValidationFailed("Malformed bbox.", errors={"bbox": problems})
    # The band between two latitudes is the same in either order (the schema cannot order
    # two numbers of one string); longitudes in "wrong" order cross the antimeridian.
    return min_lng, min(min_lat, max_lat), max_lng, max(min_lat, max_lat)


def parse_near(raw: str) -> tuple[float, float]:
    """``lat,lng`` -> floats; 400 with field errors when malformed."""
    lat, lng = _floats(raw, 2, "near", "lat,lng")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationFailed("Malformed near.", errors={"near": ["lat must be in [-90, 90] and lng in [-180, 180]."]})
    return lat, lng


def _longitude_q(low: float, high: float) -> Q:
    """Longitudes from ``low`` to ``high``, across the antimeridian when ``low > high``."""
    if low <= high:
        return Q(longitude__gte=low, longitude__lte=high)
    return Q(longitude__gte=low) | Q(longitude__lte=high)


def _coordinate(value: float) -> Decimal:
    return Decimal(str(round(value, 6)))


def _within_bbox(queryset: QuerySet, min_lng: float, min_lat: float, max_lng: float, max_lat: float) -> QuerySet:
    """A range on the (latitude, longitude) btree."""
    return queryset.filter(
        Q(latitude__gte=_coordinate(min_lat), latitude__lte=_coordinate(max_lat))
        & _longitude_q(float(_coordinate(min_lng)), float(_coordinate(max_lng)))
    )


def haversine_term(lat: float, lng: float) -> Any:
    """The haversine of the central angle from (lat, lng) to each row, in SQL: it grows
    with the distance, so filters and ordering use it without the arcsine and root."""
    row_lat = Cast("latitude", FloatField())
    row_lng = Cast("longitude", FloatField())
    half_dlat = Radians(row_lat - Value(lat)) / Value(2.0)
    half_dlng = Radians(row_lng - Value(lng)) / Value(2.0)
    return Power(Sin(half_dlat), 2) + Value(math.cos(math.radians(lat))) * Cos(Radians(row_lat)) * Power(
        Sin(half_dlng), 2
    )


def haversine_km(lat: float, lng: float) -> Any:
    """The great-circle distance in km from (lat, lng) to each row, in SQL."""
    a = haversine_term(lat, lng)
    return Value(2.0 * EARTH_RADIUS_KM) * ASin(Least(Value(1.0), Sqrt(a)), output_field=FloatField())


def _near(queryset: QuerySet, lat: float, lng: float, radius_km: float) -> QuerySet:
    """The listings within ``radius_km`` of (lat, lng): a bounding box on the btree,
    then the exact distance (both answered from the public geo index, no table read, so
    counting the circle stays cheap). Each row gets ``distance_km``, and a ``distance``
    to order by nearest first: on PostgreSQL the straight-line distance between the
    points on the earth (``cube`` + ``earthdistance``), which grows with the
    great-circle distance and is what the GiST index ``listing_public_earth``
    (migration 0006) orders by, so a nearest-first page is read from that index in
    order and stops after the page (KNN); elsewhere the haversine term."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    cos_lat = math.cos(math.radians(lat))
    if min_lat <= -90 or max_lat >= 90 or cos_lat < 1e-6:
        box = Q(latitude__gte=_coordinate(min_lat), latitude__lte=_coordinate(max_lat))
    else:
        dlng = radius_km / (KM_PER_DEGREE_LAT * cos_lat)
        box = Q(latitude__gte=_coordinate(min_lat), latitude__lte=_coordinate(max_lat))
        if dlng < 180:
            low, high = lng - dlng, lng + dlng
            low = low + 360 if low < -180 else low
            high = high - 360 if high > 180 else high
            box &= _longitude_q(low, high)
    # distance <= radius  <=>  haversine term <= sin^2(radius / 2R) (radius_km <= 500 keeps it monotonic)
    limit = math.sin(radius_km / (2 * EARTH_RADIUS_KM)) ** 2
    queryset = queryset.filter(box).alias(haversine=haversine_term(lat, lng)).filter(haversine__lte=limit)
    if connection.vendor == "postgresql":
        # Constant SQL; the coordinates are parameters.
        distance = RawSQL(f"{PG_EARTH_POINT} <-> ll_to_earth(%s, %s)", (lat, lng), FloatField())  # noqa: S611
    else:
        distance = haversine_term(lat, lng)
    return queryset.alias(distance=distance).annotate(distance_km=haversine_km(lat, lng))


# Search and filters -----------------------------------------------------------------------


def _search(queryset: QuerySet, term: str) -> QuerySet:
    term = term.strip()
    if not term:
        return queryset
    if connection.vendor == "postgresql":
        # The term is a bound parameter; the SQL text is a constant.
        return queryset.filter(RawSQL(PG_SEARCH_SQL, [term, term, term], output_field=BooleanField()))  # noqa: S611
    condition = Q()
    for field in SQLITE_SEARCH_FIELDS:
        condition |= Q(**{f"{field}__icontains": term})
    return queryset.filter(condition)


def _search_halves(queryset: QuerySet, term: str) -> list[QuerySet]:
    """``_search(queryset, term)`` as disjoint querysets whose union is the same rows: on
    PostgreSQL the full-text matches, then the trigram matches the full text does not
    find (``PG_TRIGRAM_ONLY_SQL``), so a read that stops after the first matches can take
    them from the cheap half first. The full-text check costs about 0.2 µs a row, each
    trigram check about 4.5 µs: reading the first 1,000 matches of a common word through
    the whole condition pays both trigram checks on every row that does not match (1M
    listings, "garden": 45-50 ms; its full-text half alone: 5 ms). Elsewhere, the one
    search."""
    term = term.strip()
    if not term or connection.vendor != "postgresql":
        return [_search(queryset, term)]
    # Constant SQL; the term is a bound parameter.
    full_text = RawSQL(PG_FULL_TEXT_SQL, [term], output_field=BooleanField())  # noqa: S611
    trigram_only = RawSQL(PG_TRIGRAM_ONLY_SQL, [term, term, term], output_field=BooleanField())  # noqa: S611
    return [queryset.filter(full_text), queryset.filter(trigram_only)]


def _feature_slugs(raw: str) -> list[str]:
    return sorted({slug.strip().lower() for slug in raw.split(",") if slug.strip()})


def _having_all_features(queryset: QuerySet, slugs: list[str]) -> QuerySet:
    through = Listing.features.through
    matching = (
        through.objects.filter(feature__slug__in=slugs)
        .values("listing_id")
        .annotate(matched=Count("feature_id", distinct=True))
        .filter(matched=len(slugs))
        .values("listing_id")
    )
    return queryset.filter(pk__in=matching)


# The filters that are one lookup of a value each (``_lookup_groups``): exact values,
# texts matched whole and case-insensitively, and ranges.
EXACT_FILTERS = {
    "property_type": "property_type",
    "listing_type": "listing_type",
    "status": "status",
    "company": "company_id",
    "agent": "agent_id",
}
TEXT_FILTERS = ("city", "state", "zip_code")
RANGE_FILTERS = {
    "min_price": "price__gte",
    "max_price": "price__lte",
    "min_bedrooms": "bedrooms__gte",
    "min_bathrooms": "bathrooms__gte",
    "min_area": "area_m2__gte",
    "max_area": "area_m2__lte",
}


def _lookup_groups(filters: ListingFilters) -> list[dict[str, Any]]:
    """The lookups of ``filters``' one-value filters, one ``filter()`` call each: the
    exact values, each text (stripped), the ranges."""
    groups = [{path: value for name, path in EXACT_FILTERS.items() if (value := getattr(filters, name)) is not None}]
    for field in TEXT_FILTERS:
        value = getattr(filters, field)
        if value and value.strip():
            groups.append({f"{field}__iexact": value.strip()})
    ranges = {path: value for name, path in RANGE_FILTERS.items() if (value := getattr(filters, name)) is not None}
    return [*groups, ranges]


def _filtered(*, actor: Any, filters: ListingFilters) -> QuerySet[Listing]:
    """The visible listings matching every filter except ordering and dates."""
    if filters.radius_km is not None and not filters.near:
        raise ValidationFailed("radius_km needs near.", errors={"radius_km": ["Give near=lat,lng with radius_km."]})
    queryset = listing_visible_to(actor)
    for lookups in _lookup_groups(filters):
        queryset = queryset.filter(**lookups)
    if filters.features:
        slugs = _feature_slugs(filters.features)
        if slugs:
            queryset = _having_all_features(queryset, slugs)
    if filters.search:
        queryset = _search(queryset, filters.search)
    if filters.bbox:
        queryset = _within_bbox(queryset, *parse_bbox(filters.bbox))
    if filters.near:
        lat, lng = parse_near(filters.near)
        queryset = _near(queryset, lat, lng, filters.radius_km or DEFAULT_RADIUS_KM)
    return queryset


def check_ordering(filters: ListingFilters) -> None:
    """Refuse an ``ordering`` the search would refuse (the facets and the map take the
    search's filters and answer in their own order)."""
    allowed = [*ORDERING_FIELDS, "distance"] if filters.near else list(ORDERING_FIELDS)
    if not _by_relevance(filters):
        _ordered(Listing.objects.none(), filters.ordering, allowed, ["-created_at"])


def _ordered(queryset: QuerySet, ordering: str | None, allowed: list[str], default: list[str]) -> QuerySet:
    """The whitelist ordering of the core, with empty values last on both databases."""
    queryset = order_by_whitelist(queryset, ordering, allowed, default, aliases=ORDERING_ALIASES, also=[RELEVANCE])
    terms = []
    for term in queryset.query.order_by:
        name = term.lstrip("-") if isinstance(term, str) else None
        if name in NULLABLE_ORDERING:
            column = F(name)
            term = column.desc(nulls_last=True) if term.startswith("-") else column.asc(nulls_last=True)
        terms.append(term)
    return queryset.order_by(*terms)


def listing_list_for_actor(*, actor: Any, filters: ListingFilters) -> QuerySet[Listing]:
    """Search: the visible listings matching the filters, as result cards (newest
    first; nearest first when ``near`` is given). Text search is ordered by recency;
    ``ordering=relevance`` ranks the newest matches (``listing_search_for_actor``), never
    every match (docs/architecture.md "Performance notes")."""
    if _by_relevance(filters):
        filters = filters.model_copy(update={"ordering": None})
    queryset = _filtered(actor=actor, filters=filters)
    ordering_fields = [*ORDERING_FIELDS, "distance"] if filters.near else list(ORDERING_FIELDS)
    # Nearest first, then newest (ids are time-ordered UUIDv7): both from the geo index.
    default = ["distance", "-pk"] if filters.near else ["-created_at", "-pk"]
    # filter_list applies the date filters; search (full text) and ordering are done here.
    queryset = filter_list(queryset, filters.model_copy(update={"search": None, "ordering": None}))
    queryset = _ordered(queryset, filters.ordering, ordering_fields, default)
    if _nearest_first_on_earth(queryset, filters):
        # Nearest first alone, so a page is a KNN scan of the earth index
        # (``listing_search_for_actor``); listings at the very same distance (one
        # building) keep the index's order.
        queryset = queryset.order_by("distance")
    return listing_cards(queryset)


def _by_relevance(filters: ListingFilters) -> bool:
    """Whether the search asks for ``ordering=relevance`` (400 unless alone and with ``search``)."""
    fields = [f.strip() for f in (filters.ordering or "").split(",") if f.strip()]
    if not any(f.lstrip("-") == RELEVANCE for f in fields):
        return False
    if fields != [RELEVANCE]:
        raise ValidationFailed(
            "relevance orders alone.", errors={"ordering": ["Use ordering=relevance on its own (most relevant first)."]}
        )
    if not (filters.search and filters.search.strip()):
        raise ValidationFailed(
            "relevance needs search.", errors={"ordering": ["Give search= with ordering=relevance."]}
        )
    return True


def result_depth_limit(filters: ListingFilters) -> int:
    """The deepest result a search pages to (page * page_size, or offset + limit)."""
    return RELEVANCE_WINDOW if _by_relevance(filters) else MAX_RESULT_DEPTH


class ListingSearch:
    """A search as the paginated list reads it: ``rows`` are counted and read by id;
    the ids of a page come, in order, from ``page_ids``; ``count``, when known already,
    spares counting ``rows``. ``shape``, when set, is the search compiled for its shape
    (``SearchShape``): it reads a page, and the count's cache key, without building the
    querysets, which are then built (by ``build``) only when asked for."""

    def __init__(
        self,
        rows: QuerySet[Listing] | None = None,
        page_ids: QuerySet[Listing] | None = None,
        count: int | None = None,
        *,
        build: Callable[[], tuple[QuerySet[Listing], QuerySet[Listing]]] | None = None,
        shape: "SearchShape | None" = None,
    ) -> None:
        self._querysets = None if rows is None else (rows, rows if page_ids is None else page_ids)
        self._build = build
        self.count = count
        self.shape = shape

    def _built(self) -> tuple[QuerySet[Listing], QuerySet[Listing]]:
        if self._querysets is None:
            self._querysets = self._build()  # type: ignore[misc]
        return self._querysets

    @property
    def rows(self) -> QuerySet[Listing]:
        return self._built()[0]

    @property
    def page_ids(self) -> QuerySet[Listing]:
        return self._built()[1]


def listing_search_for_actor(*, actor: Any, filters: ListingFilters, compiled: bool = True) -> ListingSearch:
    """``listing_list_for_actor`` for the paginated search. A nearest-first search on
    PostgreSQL reads its page ids from the earth index in distance order, filtered by
    the same circle, without the bounding box: with the box in the query the planner
    misjudges how many rows the circle holds and sorts the whole box instead.

    The public's search by the one-value filters (``_lookup_groups``) and an ordering
    is read through SQL compiled once per shape (``SearchShape``; ``compiled=False``
    builds the querysets every time, as every other search does)."""
    if compiled and not _by_relevance(filters) and _public_shape(actor, filters):
        shape = SearchShape.of(filters)
        if shape is not None:
            return ListingSearch(build=lambda: _search_querysets(actor=actor, filters=filters)[:2], shape=shape)
    rows, page_ids, count = _search_querysets(actor=actor, filters=filters)
    return ListingSearch(rows=rows, page_ids=page_ids, count=count)


def _search_querysets(*, actor: Any, filters: ListingFilters) -> tuple[QuerySet, QuerySet, int | None]:
    """The search's rows, the queryset its page ids come from, and its count when known."""
    rows = listing_list_for_actor(actor=actor, filters=filters)
    if _by_relevance(filters):
        # Read first, not as a subquery: the text condition's SQL names the listing table,
        # which a subquery would alias (the condition would then refer to the outer query).
        newest = list(rows.order_by("-created_at", "-pk").values_list("pk", flat=True)[:RELEVANCE_WINDOW])
        return rows, _ranked(newest, filters.search or ""), len(newest)
    if not _nearest_first_on_earth(rows, filters):
        return rows, rows, None
    lat, lng = parse_near(filters.near or "")
    radius_km = filters.radius_km or DEFAULT_RADIUS_KM
    around = filters.model_copy(update={"near": None, "radius_km": None})
    candidates = filter_list(
        _filtered(actor=actor, filters=around), around.model_copy(update={"search": None, "ordering": None})
    )
    chord = 2 * math.sin(radius_km / (2 * EARTH_RADIUS_KM))  # in earth() units, as in _near
    in_circle = RawSQL(f"{PG_EARTH_POINT} <-> ll_to_earth(%s, %s) <= %s * earth()", (lat, lng, chord), BooleanField())  # noqa: S611
    distance = RawSQL(f"{PG_EARTH_POINT} <-> ll_to_earth(%s, %s)", (lat, lng), FloatField())  # noqa: S611
    page_ids = candidates.filter(in_circle).alias(distance=distance).order_by("distance")
    return rows, page_ids, None


# Search compiled per shape ------------------------------------------------------------------

# The filters a compiled search binds (each one lookup of a value); any other filter given
# (text, features, bbox, near, dates) builds the querysets as before.
SHAPE_FILTERS = frozenset({*EXACT_FILTERS, *TEXT_FILTERS, *RANGE_FILTERS})
_FILTER_OF_PATH = {
    **{path: name for name, path in {**EXACT_FILTERS, **RANGE_FILTERS}.items()},
    **{f"{name}__iexact": name for name in TEXT_FILTERS},
}
_UNSHAPED_FILTERS = tuple(sorted(set(ListingFilters.model_fields) - SHAPE_FILTERS - {"ordering"}))
_PLACEHOLDER_NAMESPACE = UUID("5e7c0a1d-0000-4000-8000-00000000d0d0")
_UUID_FIELD = UUIDField()


def _public_shape(actor: Any, filters: ListingFilters) -> bool:
    """Whether the search is the public's (the same visible listings whoever asks) by
    one-value filters and an ordering alone."""
    if _authenticated(actor) or is_admin(actor):
        return False
    return all(getattr(filters, name) is None for name in _UNSHAPED_FILTERS)


def _filter_placeholder(name: str, which: int) -> Any:
    """A value of filter ``name`` no search holds by chance (two sets: ``which`` 0 or 1)."""
    field = Listing._meta.get_field(EXACT_FILTERS.get(name) or RANGE_FILTERS.get(name, name).partition("__")[0])
    internal = field.get_internal_type()
    if internal == "ForeignKey" or internal == "UUIDField":
        return uuid5(_PLACEHOLDER_NAMESPACE, f"{name}:{which}")
    if internal == "DecimalField":
        return Decimal(f"{9_000_001 + 2 * sorted(SHAPE_FILTERS).index(name) + which}.37")
    if internal.endswith("IntegerField"):
        return 30_011 + 2 * sorted(SHAPE_FILTERS).index(name) + which
    return f"\x00domus search {name} {which}\x00"


def _lookup_param(name: str, value: Any) -> Any:
    """``value`` as the lookup ``name`` (``price__gte``; ``id:3``, the page's third id)
    passes it to the driver (Django's own preparation: a UUID's text on SQLite, ...)."""
    if name.startswith("id:"):  # what ``pk__in`` does to each id, without building the lookup
        return Listing._meta.pk.get_db_prep_value(value, connection, prepared=False)
    field_name, _, lookup_name = name.partition("__")
    lhs = Listing._meta.get_field(field_name).get_col(Listing._meta.db_table)
    lookup = lhs.get_lookup(lookup_name or "exact")(lhs, value)
    return lookup.process_rhs(None, connection)[1][0]


_SHAPES = ShapeQuery(_lookup_param)


def _card_features() -> QuerySet[Feature]:
    """What a result card reads of its features."""
    return Feature.objects.only("id", "slug").order_by("slug")


class SearchShape:
    """A public search by one-value filters and an ordering, its statements compiled
    once per shape (the filters given and the ordering) from the querysets the
    selector builds (``_search_querysets``, so the visibility and filter rules are the
    same code), per thread and connection (``domus.core.compiled.ShapeQuery``); each
    search binds its values. A page is its ids (the SQL of ``page_ids`` with the page's
    LIMIT/OFFSET, as Django appends them), its rows (``rows`` by those ids, compiled per
    number of ids) and their features (the card's prefetch, likewise): the same three
    statements, the same rows and model instances; the count is cached under the same
    key. Building and compiling them was about a third of a search's CPU."""

    def __init__(self, filters: ListingFilters, values: dict[str, Any], key: tuple, ids: Any, count: Any) -> None:
        self.filters = filters
        self.values = values
        self.key = key
        self._ids = ids
        self._count = count

    @classmethod
    def of(cls, filters: ListingFilters) -> "SearchShape | None":
        values = {path: value for group in _lookup_groups(filters) for path, value in group.items()}

        def placeholders() -> tuple[dict[str, Any], dict[str, Any]]:
            return cls._placeholders(filters, values, 0), cls._placeholders(filters, values, 1)

        key = (tuple(values), filters.ordering, connection.vendor)
        ids = _SHAPES.get(
            ("ids", key), lambda p: cls._querysets(filters, p)[1].values_list("pk", flat=True), placeholders
        )
        count = _SHAPES.get(
            ("count", key), lambda p: cls._querysets(filters, p)[0].order_by().values("pk"), placeholders
        )
        if ids is None or count is None:
            return None
        shape = cls(filters, values, key, ids, count)
        try:
            shape.count_params = count.bound(values)
        except (EmptyResultSet, FullResultSet):  # a value its lookup answers without SQL
            return None
        return shape

    @staticmethod
    def _placeholders(filters: ListingFilters, values: dict[str, Any], which: int) -> dict[str, Any]:
        """A stand-in for each value of ``values`` (by lookup)."""
        return {path: _filter_placeholder(_FILTER_OF_PATH[path], which) for path in values}

    @staticmethod
    def _querysets(filters: ListingFilters, placeholders: dict[str, Any]) -> tuple[QuerySet, QuerySet]:
        """The selector's querysets with the placeholders as the filters' values."""
        stand_in = filters.model_copy(update={_FILTER_OF_PATH[path]: value for path, value in placeholders.items()})
        rows, page_ids, _ = _search_querysets(actor=None, filters=stand_in)
        return rows, page_ids

    def count_sql(self) -> tuple[str, list[Any]]:
        """The SQL and parameters of ``rows.order_by().values("pk")`` (the count's cache key)."""
        return self._count.sql, self.count_params

    def page_ids(self, low: int, high: int) -> list[Any]:
        """The ids of the listings ``low:high`` of the search, in order."""
        if high <= low:
            return []
        ids = self._ids
        with connection.cursor() as cursor:
            # The compiled SQL of ``page_ids`` and the LIMIT/OFFSET Django appends to it.
            cursor.execute(f"{ids.sql} {connection.ops.limit_offset_sql(low, high)}", ids.bound(self.values))
            found = cursor.fetchall()
        if ids.converters:
            found = ids.compiler.apply_converters(found, ids.converters)
        return [row[0] for row in found]

    def listings(self, ids: list[Any]) -> list[Listing] | None:
        """The rows of ``ids`` (in the order the rows' query answers them) with their
        features prefetched, as ``rows.filter(pk__in=ids)`` answers them; None when
        this number of ids does not compile (the caller then runs the queryset)."""
        count = len(ids)
        rows = _SHAPES.get(("rows", count, self.key), self._rows_queryset, lambda: self._with_ids(count))
        if rows is None:
            return None
        listings = rows.objects({**self.values, **{f"id:{n}": pk for n, pk in enumerate(ids)}})
        if not listings:
            return listings
        features = _SHAPES.get(("features", len(listings)), _features_queryset, lambda: _id_placeholders(len(listings)))
        if features is None:
            return None
        by_listing: dict[Any, list[Feature]] = {listing.pk: [] for listing in listings}
        for feature in features.objects({f"id:{n}": listing.pk for n, listing in enumerate(listings)}):
            by_listing[_UUID_FIELD.to_python(feature._prefetch_related_val_listing_id)].append(feature)
        for listing in listings:
            # What the prefetch leaves, as a list: a card reads it as it is.
            listing._prefetched_objects_cache = {"features": by_listing[listing.pk]}
        return listings

    def _with_ids(self, count: int) -> tuple[dict[str, Any], dict[str, Any]]:
        return tuple(
            {**self._placeholders(self.filters, self.values, which), **ids}
            for which, ids in enumerate(_id_placeholders(count))
        )  # type: ignore[return-value]

    def _rows_queryset(self, placeholders: dict[str, Any]) -> QuerySet[Listing]:
        filters = {name: value for name, value in placeholders.items() if not name.startswith("id:")}
        ids = [value for name, value in placeholders.items() if name.startswith("id:")]
        return self._querysets(self.filters, filters)[0].filter(pk__in=ids)


@functools.cache
def _id_placeholders(count: int) -> tuple[dict[str, UUID], dict[str, UUID]]:
    return tuple(
        {f"id:{n}": uuid5(_PLACEHOLDER_NAMESPACE, f"id:{n}:{which}") for n in range(count)} for which in (0, 1)
    )  # type: ignore[return-value]


def _features_queryset(placeholders: dict[str, Any]) -> QuerySet[Feature]:
    """The features' prefetch of the listings ``placeholders`` (by id), as
    ``prefetch_related`` makes it for ``listing_cards``."""
    instances = [Listing(pk=pk) for pk in placeholders.values()]
    return instances[0].features.get_prefetch_querysets(instances, [_card_features()])[0]


def _ranked(ids: list[UUID], term: str) -> QuerySet[Listing]:
    """The listings ``ids`` (the newest matches), most relevant first (PostgreSQL: ts_rank
    with the document's weights, title A, address and city B, description C; ties and
    SQLite: newest first)."""
    window = Listing.objects.filter(pk__in=ids)
    if connection.vendor != "postgresql":
        return window.order_by("-created_at", "-pk")
    rank = RawSQL(PG_RANK_SQL, [term.strip()], output_field=FloatField())  # noqa: S611
    return window.alias(rank=rank).order_by("-rank", "-created_at", "-pk")


def _nearest_first_on_earth(queryset: QuerySet, filters: ListingFilters) -> bool:
    order = queryset.query.order_by
    return bool(filters.near) and connection.vendor == "postgresql" and bool(order) and order[0] == "distance"


def listing_count(queryset: QuerySet[Listing]) -> int:
    """How many listings a search matches: exact up to ``COUNT_EXACT_UP_TO``; above
    it, on PostgreSQL, the planner's estimate (never below ``COUNT_EXACT_UP_TO + 1``),
    because an exact count of a huge result set costs a scan of all of it (docs/architecture.md
    "Performance notes"). Deeper pages than that cannot be read anyway. When the
    planner expects far more matches than the cap, the estimate is answered without
    counting at all (counting even the first matches of a common word costs a
    trigram check per row)."""
    matches = queryset.order_by().values("pk")
    estimate = _planner_rows(matches) if connection.vendor == "postgresql" else None
    if estimate is not None and estimate >= COUNT_ESTIMATE_ONLY_ABOVE:
        return estimate
    capped = matches[: COUNT_EXACT_UP_TO + 1].count()
    if capped <= COUNT_EXACT_UP_TO:
        return capped
    if estimate is None:
        return matches.count()
    return max(COUNT_EXACT_UP_TO + 1, estimate)


def listing_count_cached(queryset: QuerySet[Listing]) -> int:
    """``listing_count``, kept in the cache under the count's SQL and the listings' version
    (``caching.versioned``): every listing write bumps the version, so a count follows
    each write at once, and a repeated search (the next page, the same filters from
    another visitor) costs one cache read instead of the planner's estimate and a capped
    count. A row written behind the services' back (SQL) is counted within
    ``LISTING_CACHE_SECONDS``."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return _count_cached(sql, params, lambda: listing_count(queryset))


def listing_search_count(search: ListingSearch) -> int:
    """How many listings ``search`` matches: its ``count`` when known, else
    ``listing_count_cached`` of its rows (a compiled search keys the cache with its
    compiled SQL, and builds its rows only to count them)."""
    if search.count is not None:
        return search.count
    if search.shape is not None:
        sql, params = search.shape.count_sql()
        return _count_cached(sql, params, lambda: listing_count(search.rows))
    return listing_count_cached(search.rows)


def _count_cached(sql: str, params: Any, count: Callable[[], int]) -> int:
    key = cache_key("count", connection.vendor, {"sql": sql, "params": [str(p) for p in params]})
    return versioned(key, count)


def _planner_rows(queryset: QuerySet) -> int:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def listing_cards(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    """``queryset`` with what a result card needs, in a bounded number of queries: the
    feature slugs in one prefetch and the cover thumbnail as a subquery column."""
    cover = ListingMedia.objects.filter(listing=OuterRef("pk"), is_cover=True).values("thumbnail")[:1]
    return (
        queryset.defer("description")
        .annotate(cover_thumbnail=Subquery(cover))
        .prefetch_related(Prefetch("features", queryset=_card_features()))
    )


def listing_cache_scope(actor: Any) -> str | None:
    """Which cached aggregates ``actor`` may share: "public" when they see exactly the
    published listings (anonymous visitors; signed-in users who own, show or manage
    none), "all" for admins, None (not cached) for everyone else."""
    if is_admin(actor):
        return "all"
    if not _authenticated(actor):
        return "public"
    if staff_company_ids(actor) or Listing.objects.filter(Q(owner_id=actor.pk) | Q(agent_id=actor.pk)).exists():
        return None
    return "public"


def _aggregate_params(filters: ListingFilters, **extra: Any) -> dict[str, Any]:
    """The filters that change an aggregate answer, normalised for a cache key."""
    params = filters.model_dump(mode="json", exclude={"ordering"})
    for field in ("city", "state", "zip_code", "search"):
        if isinstance(params.get(field), str):
            params[field] = params[field].strip().lower() or None
    if params.get("features"):
        params["features"] = ",".join(_feature_slugs(params["features"]))
    return {**params, **extra}


def listing_facets_for_actor(*, actor: Any, filters: ListingFilters) -> dict[str, Any]:
    """Counts per property type, listing type, city (top 20), bedrooms and price
    bucket over the listings matching ``filters``, from one grouped query, cached
    (``domus.properties.caching``) for the public and for admins."""
    scope = listing_cache_scope(actor)
    # A cacheable caller sees what its scope sees: compute as that scope.
    viewer = actor if scope is None or scope == "all" else None
    params = _aggregate_params(filters)
    return cached_answer(
        "facets",
        scope,
        params,
        lambda: _facets(actor=viewer, filters=filters),
        refresh=_refresher("facets", params) if scope == "public" else None,
    )


def listing_facets_first_for_actor(*, actor: Any, filters: ListingFilters, first: int) -> dict[str, Any]:
    """The facets of a results page that must answer fast whatever the filters: exact
    when the roll-up answers them (the public, filtered only by its dimensions) or when
    ``filters`` match fewer than ``first`` listings; otherwise counted over the first
    ``first`` matches the database reads, with ``capped`` true and ``counted`` their
    number: each count is then a lower bound ("at least"), never an extrapolation. A
    free-text search or a map box matching 160,000-300,000 of 1M listings costs 0.6-0.8 s
    to count exactly and 2-50 ms capped at 1,000 (bench/web/README.md). Cached like
    ``listing_facets_for_actor``, recomputed (not served stale) after a listing write."""
    scope = listing_cache_scope(actor)
    viewer = actor if scope is None or scope == "all" else None
    if _from_facet_groups(viewer, filters):
        return {**listing_facets_for_actor(actor=actor, filters=filters), "capped": False, "counted": None}
    params = {**_aggregate_params(filters), "first": first}
    return cached_answer("facets", scope, params, lambda: _facets(actor=viewer, filters=filters, first=first))


def _refresher(namespace: str, params: dict[str, Any]) -> Any:
    def refresh() -> None:
        from domus.properties.aggregate_jobs import listing_aggregate_refresh  # the job calls back in here

        listing_aggregate_refresh.delay(namespace, params)

    return refresh


def listing_aggregate_refresh_run(*, namespace: str, params: dict[str, Any]) -> None:
    """Recompute the public answer of ``namespace`` ("facets" or "map") for ``params``
    (as cached by ``_aggregate_params``) and cache it."""
    try:
        if namespace == "map":
            map_filters = MapFilters(**params)
            store_answer(namespace, "public", params, lambda: _map(actor=None, filters=map_filters))
        else:
            filters = ListingFilters(**params)
            store_answer(namespace, "public", params, lambda: _facets(actor=None, filters=filters))
    finally:
        refresh_done(namespace, "public", params)


def listing_aggregates_warm_run() -> int:
    """Compute and cache the public facets nobody should wait for: unfiltered, and for
    each of the top cities. Returns how many answers were cached."""
    filters = ListingFilters()
    params = _aggregate_params(filters)
    everything = store_answer("facets", "public", params, lambda: _facets(actor=None, filters=filters))
    for city in everything["city"]:
        by_city = ListingFilters(city=city["value"])
        store_answer("facets", "public", _aggregate_params(by_city), lambda f=by_city: _facets(actor=None, filters=f))
    return 1 + len(everything["city"])


# The facet roll-up (``FacetGroup``, services.facet_groups), once built, answers the
# public's facets filtered by nothing but these.
FACET_GROUP_FILTERS = frozenset({"property_type", "listing_type", "city", "min_bedrooms", "min_price", "max_price"})


def facet_group_rows(queryset: QuerySet[Listing], *, price_steps: bool = False) -> QuerySet:
    """``queryset`` counted per combination of the facet dimensions, in one grouped
    scan; with ``price_steps``, per step of the roll-up's price grid as well."""
    dimensions = [*FACET_FIELDS]
    queryset = queryset.annotate(price_bucket=_price_band(PRICE_BUCKETS))
    if price_steps:
        queryset = queryset.annotate(price_step=_price_band(PRICE_STEPS))
        dimensions.append("price_step")
    return queryset.values(*dimensions).annotate(count=Count("*")).order_by()


def _price_band(bands: tuple[tuple[Decimal, Decimal | None], ...]) -> Case:
    """The index of the band a listing's price falls in."""
    return Case(
        *(When(_bucket_q(low, high), then=Value(i)) for i, (low, high) in enumerate(bands)),
        output_field=IntegerField(),
    )


def _from_facet_groups(actor: Any, filters: ListingFilters) -> bool:
    """Whether the roll-up answers: the public's view, filtered only by its dimensions."""
    if actor is not None:
        return False
    used = {name for name, value in filters.model_dump(exclude_none=True).items() if value != ""}
    # An empty roll-up has not been built yet (or counted no public listing: live is as cheap).
    return used <= FACET_GROUP_FILTERS | {"ordering"} and FacetGroup.objects.exists()


def _whole_price_steps(min_price: Decimal | None, max_price: Decimal | None) -> range:
    """The price steps lying wholly inside ``min_price <= price <= max_price`` (a run)."""
    inside = [
        i
        for i, (low, high) in enumerate(PRICE_STEPS)
        if (min_price is None or low >= min_price) and (max_price is None or (high is not None and high <= max_price))
    ]
    return range(inside[0], inside[-1] + 1) if inside else range(0)


def _facet_group_totals(filters: ListingFilters) -> dict[str, Counter]:
    """The facet totals of the public listings matching ``filters`` from the roll-up,
    summed per facet by the database (``_summed_per_facet``). A price range sums the
    steps wholly inside it; the listings of the steps its bounds cut through are grouped
    live (a narrow range of the price index)."""
    has_price_range = filters.min_price is not None or filters.max_price is not None
    steps = _whole_price_steps(filters.min_price, filters.max_price)
    if not steps:
        return _totals(facet_group_rows(_facet_listings(actor=None, filters=filters)))
    groups = FacetGroup.objects.all()
    if filters.property_type:
        groups = groups.filter(property_type=filters.property_type)
    if filters.listing_type:
        groups = groups.filter(listing_type=filters.listing_type)
    if filters.city and filters.city.strip():
        groups = groups.filter(city__iexact=filters.city.strip())
    if filters.min_bedrooms is not None:
        groups = groups.filter(bedrooms__gte=filters.min_bedrooms)
    if has_price_range:
        groups = groups.filter(price_step__gte=steps.start, price_step__lt=steps.stop)
    totals = _summed_per_facet(groups)
    whole_from, whole_to = PRICE_STEPS[steps.start][0], PRICE_STEPS[steps.stop - 1][1]
    edges = []
    if filters.min_price is not None and filters.min_price < whole_from:
        edges.append(Q(price__lt=whole_from))
    if filters.max_price is not None and whole_to is not None:
        edges.append(Q(price__gte=whole_to))
    # One query per edge: each is a range of the price index (an OR of the two would scan between them).
    for edge in edges:
        _add_rows(totals, facet_group_rows(_facet_listings(actor=None, filters=filters).filter(edge)))
    return totals


def _summed_per_facet(groups: QuerySet[FacetGroup]) -> dict[str, Counter]:
    """The roll-up's ``groups`` summed per facet: on PostgreSQL in one grouped pass
    (GROUPING SETS, one set per facet), so a few dozen sums come back instead of every
    group (7,828 at 1M listings, whose reading and adding up here cost 35-45 ms of
    Python against about 5 ms for the statement); elsewhere (the embedded default, a
    small roll-up) added up here."""
    rows = groups.values(*FACET_FIELDS, "count").order_by()
    if connection.vendor != "postgresql":
        return _totals(rows)
    sql, params = rows.query.sql_with_params()
    columns = [connection.ops.quote_name(name) for name in FACET_FIELDS]
    grouping = ", ".join(f"GROUPING({column})" for column in columns)
    sets = ", ".join(f"({column})" for column in columns)
    totals: dict[str, Counter] = {name: Counter() for name in FACET_FIELDS}
    with connection.cursor() as cursor:
        # Constant SQL around the ORM's compiled subquery; the values are its parameters.
        cursor.execute(
            f"SELECT {grouping}, {', '.join(columns)}, SUM({connection.ops.quote_name('count')}) "  # noqa: S608
            f"FROM ({sql}) facet_groups GROUP BY GROUPING SETS ({sets})",
            params,
        )
        width = len(FACET_FIELDS)
        for row in cursor.fetchall():
            # GROUPING(column) is 0 for the one facet a row sums over.
            index = row[:width].index(0)
            totals[FACET_FIELDS[index]][row[width + index]] += row[-1]
    return totals


def _totals(rows: Any) -> dict[str, Counter]:
    totals: dict[str, Counter] = {name: Counter() for name in FACET_FIELDS}
    _add_rows(totals, rows)
    return totals


def _add_rows(totals: dict[str, Counter], rows: Any) -> None:
    """Add facet rows (one per combination of the facet values, with its ``count``) to ``totals``."""
    for row in rows:
        for name in FACET_FIELDS:
            totals[name][row[name]] += row["count"]


def _facet_listings(*, actor: Any, filters: ListingFilters) -> QuerySet[Listing]:
    common = filters.model_copy(update={"search": None, "ordering": None})
    return filter_list(_filtered(actor=actor, filters=filters), common).order_by()


def _first_matches_groups(querysets: list[QuerySet[Listing]], first: int) -> list[dict[str, Any]]:
    """The facet rows of the first ``first`` listings of ``querysets`` (disjoint: the
    halves of a text search, ``_search_halves``; else one queryset), in the order the
    database reads them (an index or the table, stopping at ``first``): one grouped query
    over a LIMIT-ed subquery, or over each half's first ``first`` one after the other
    (UNION ALL), LIMIT-ed again, so the second half is not read at all when the first
    gives ``first`` matches."""
    columns = ", ".join(connection.ops.quote_name(name) for name in FACET_FIELDS)
    compiled = [
        qs.annotate(price_bucket=_price_band(PRICE_BUCKETS)).values(*FACET_FIELDS)[:first].query.sql_with_params()
        for qs in querysets
    ]
    if len(compiled) == 1:
        sql, params = compiled[0]
    else:
        # PostgreSQL only (``_search_halves``): parenthesised members, each with its LIMIT.
        sql = " UNION ALL ".join(f"({member})" for member, _ in compiled) + f" LIMIT {int(first)}"
        params = tuple(value for _, member_params in compiled for value in member_params)
    with connection.cursor() as cursor:
        # Constant SQL around the ORM's compiled subqueries; the values are their parameters.
        cursor.execute(f"SELECT {columns}, COUNT(*) FROM ({sql}) first_matches GROUP BY {columns}", params)  # noqa: S608
        return [dict(zip([*FACET_FIELDS, "count"], row, strict=True)) for row in cursor.fetchall()]


def _facets(*, actor: Any, filters: ListingFilters, first: int | None = None) -> dict[str, Any]:
    counted = None
    if _from_facet_groups(actor, filters):
        totals = _facet_group_totals(filters)
    elif first is not None:
        unsearched = _facet_listings(actor=actor, filters=filters.model_copy(update={"search": None}))
        groups = _first_matches_groups(_search_halves(unsearched, filters.search or ""), first)
        counted = sum(row["count"] for row in groups)
        totals = _totals(groups)
    else:
        # One scan, grouped by every facet at once; the per-facet sums are made here. The
        # groups are few (types x listing types x cities x bedrooms x buckets that occur).
        groups = facet_group_rows(_facet_listings(actor=actor, filters=filters))
        totals = _totals(_rows_with_work_mem(groups) if filters.search else groups)

    def by_count(name: str, limit: int | None = None) -> list[dict[str, Any]]:
        ordered = sorted(totals[name].items(), key=lambda item: (-item[1], item[0]))
        return [{"value": value, "count": count} for value, count in ordered[:limit]]

    bedrooms = sorted(totals["bedrooms"].items(), key=lambda item: (item[0] is None, item[0] or 0))
    capped = {} if first is None else {"capped": counted is not None and counted >= first, "counted": counted}
    return {
        **capped,
        "count": sum(totals["listing_type"].values()),
        "property_type": by_count("property_type"),
        "listing_type": by_count("listing_type"),
        "city": by_count("city", TOP_CITIES),
        "bedrooms": [{"value": value, "count": count} for value, count in bedrooms],
        "price": [
            {"min": low, "max": high, "count": totals["price_bucket"][i]} for i, (low, high) in enumerate(PRICE_BUCKETS)
        ],
    }


# A text search's facets read every matching listing through a bitmap of the GIN indexes;
# with PostgreSQL's default 4 MB the bitmap turns lossy and every row of a lossy page is
# re-checked against the text query (1M listings, 52,729 matches: 1.15 s; with 32 MB,
# 251 ms; bench/listings/README.md).
FACETS_WORK_MEM = "32MB"


def _rows_with_work_mem(rows: QuerySet) -> list[dict[str, Any]]:
    """``rows`` read with FACETS_WORK_MEM for this query only (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return list(rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = %s", [FACETS_WORK_MEM])
        return list(rows)


def _bucket_q(low: Decimal, high: Decimal | None) -> Q:
    return Q(price__gte=low) if high is None else Q(price__gte=low, price__lt=high)


# Price history, units, features -------------------------------------------------------------


def price_history_for_listing(*, listing: Listing) -> QuerySet[PriceChange]:
    return PriceChange.objects.filter(listing=listing).order_by("-changed_at", "-id")


def unit_list_for_listing(*, listing: Listing) -> QuerySet[Unit]:
    return Unit.objects.filter(listing=listing).select_related("listing").order_by("unit_number", "pk")


def unit_get_for_listing(*, listing: Listing, unit_id: UUID) -> Unit:
    unit = Unit.objects.filter(listing=listing, pk=unit_id).first()
    if unit is None:
        raise NotFound("Unit not found.")
    return unit


def unit_number_taken(*, listing: Listing, unit_number: str, exclude: Unit | None = None) -> bool:
    queryset = Unit.objects.filter(listing=listing, unit_number=unit_number)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.exists()


def features_by_slug(slugs: list[str]) -> dict[str, Feature]:
    return {feature.slug: feature for feature in Feature.objects.filter(slug__in=slugs)}


def company_published_listing_count(company_id: UUID) -> int:
    """The company's listings on the portal (what blocks deleting an active company)."""
    return Listing.objects.filter(company_id=company_id, is_published=True).count()


def listing_for_update(listing_id: UUID) -> Listing:
    """The listing row, locked until the end of the transaction."""
    return Listing.objects.select_for_update().get(pk=listing_id)


def feature_list(*, filters: Any) -> QuerySet[Feature]:
    return filter_list(
        Feature.objects.all(),
        filters,
        search_fields=["name", "slug"],
        ordering_fields=["name", "slug", "created_at"],
        default_ordering=["name", "pk"],
    )


# Map ------------------------------------------------------------------------------------------

# Up to this many listings in view are answered as points, without clustering.
MAP_POINTS_LIMIT = 100
# Grid cells per web-map tile width (a 256 px tile -> 64 px cells).
MAP_CELLS_PER_TILE = 4
# The map roll-up (``MapGridCell``, services.map_grid) counts public listings on the
# grid of this zoom; views up to MAP_GRID_MAX_ZOOM without other filters sum its cells.
MAP_GRID_ZOOM = 12
MAP_GRID_MAX_ZOOM = 10
MAP_POINT_FIELDS = ("id", "title", "price", "currency", "property_type", "listing_type", "latitude", "longitude")


def map_cell_size(zoom: int) -> float:
    """The grid cell in degrees at ``zoom`` (a tile spans 360 / 2**zoom degrees)."""
    return 360.0 / (2**zoom) / MAP_CELLS_PER_TILE


def _map_points(queryset: QuerySet) -> list[dict[str, Any]]:
    return list(queryset.order_by("-created_at", "-pk").values(*MAP_POINT_FIELDS))


def _money(value: Any) -> Decimal:
    # SQLite answers aggregates of decimals without their scale.
    return Decimal(value).quantize(Decimal("0.01"))


def snap_bbox(bbox: tuple[float, float, float, float], cell: float) -> str:
    """``bbox`` widened outward to whole grid cells: a map that pans a little asks for
    the same cells (one cache entry), and a cell on the edge is counted whole."""
    min_lng, min_lat, max_lng, max_lat = bbox

    def down(value: float, low: float) -> float:
        return max(low, math.floor(value / cell) * cell)

    def up(value: float, high: float) -> float:
        return min(high, math.ceil(value / cell) * cell)

    snapped = (down(min_lng, -180), down(min_lat, -90), up(max_lng, 180), up(max_lat, 90))
    return ",".join(f"{round(value, 6):.6f}" for value in snapped)


def listing_map_for_actor(*, actor: Any, filters: Any) -> dict[str, Any]:
    """Clusters of the visible listings in ``bbox`` (widened to whole cells) on a grid
    that fits ``zoom``, grouped in the database (count, centroid, price range); cells
    holding one listing, and every listing when at most ``MAP_POINTS_LIMIT`` are in
    view, come back as points. Cached like the facets."""
    if not filters.bbox:
        raise ValidationFailed("The map needs a bbox.", errors={"bbox": ["Give bbox=min_lng,min_lat,max_lng,max_lat."]})
    cell = map_cell_size(filters.zoom)
    filters = filters.model_copy(update={"bbox": snap_bbox(parse_bbox(filters.bbox), cell)})
    scope = listing_cache_scope(actor)
    viewer = actor if scope is None or scope == "all" else None
    params = _aggregate_params(filters)
    return cached_answer(
        "map",
        scope,
        params,
        lambda: _map(actor=viewer, filters=filters),
        refresh=_refresher("map", params) if scope == "public" else None,
    )


def _map(*, actor: Any, filters: Any) -> dict[str, Any]:
    common = filters.model_copy(update={"search": None, "ordering": None})
    queryset = filter_list(_filtered(actor=actor, filters=filters), common).order_by()
    cell = map_cell_size(filters.zoom)
    answer: dict[str, Any] = {"zoom": filters.zoom, "cell_size_deg": cell, "total": 0, "clusters": [], "points": []}
    # Whether few are in view, without counting them all.
    few = len(queryset.values("pk")[: MAP_POINTS_LIMIT + 1]) <= MAP_POINTS_LIMIT
    if few:
        answer["points"] = _map_points(queryset)
        answer["total"] = len(answer["points"])
        return answer
    cells = _grid_cells(filters) if _from_grid(actor, filters) else _live_cells(queryset, cell)
    single_ids = []
    for row in cells:
        answer["total"] += row["count"]
        if row["count"] == 1:
            single_ids.append(UUID(row["any_id"]))
        else:
            answer["clusters"].append(
                {
                    "latitude": row["latitude"],
                    "longitude": row["longitude"],
                    "count": row["count"],
                    "min_price": _money(row["min_price"]),
                    "max_price": _money(row["max_price"]),
                }
            )
    if single_ids:
        answer["points"] = _map_points(queryset.filter(pk__in=single_ids))
    return answer


def _from_grid(actor: Any, filters: Any) -> bool:
    """Whether the roll-up answers this view: the public's view at a low zoom, with no
    filter but the box (not across the antimeridian), once the grid has been built (an
    empty grid has not been, or counted no public listing: grouping live is as cheap)."""
    if actor is not None or filters.zoom > MAP_GRID_MAX_ZOOM:
        return False
    others = filters.model_dump(exclude={"bbox", "zoom", "ordering"}, exclude_none=True)
    min_lng, _, max_lng, _ = parse_bbox(filters.bbox)
    return not others and min_lng <= max_lng and MapGridCell.objects.exists()


def _grid_cells(filters: Any) -> list[dict[str, Any]]:
    """The view's cells summed from the roll-up: each of the zoom's cells is a whole
    block of grid cells (the bbox is snapped to the zoom's cells)."""
    fine = map_cell_size(MAP_GRID_ZOOM)
    factor = float(2 ** (MAP_GRID_ZOOM - filters.zoom))
    min_lng, min_lat, max_lng, max_lat = parse_bbox(filters.bbox)
    rows = (
        MapGridCell.objects.filter(
            cell_x__gte=round(min_lng / fine),
            cell_x__lt=round(max_lng / fine),
            cell_y__gte=round(min_lat / fine),
            cell_y__lt=round(max_lat / fine),
        )
        .annotate(
            zoom_x=Floor(Cast("cell_x", FloatField()) / Value(factor)),
            zoom_y=Floor(Cast("cell_y", FloatField()) / Value(factor)),
        )
        .values("zoom_x", "zoom_y")
        .annotate(
            listings=Sum("count"),
            latitudes=Sum("latitude_sum"),
            longitudes=Sum("longitude_sum"),
            lowest=Min("min_price"),
            highest=Max("max_price"),
            single_id=Max(Cast("listing_id", CharField())),
        )
        .order_by("zoom_y", "zoom_x")
    )
    return [
        {
            "count": row["listings"],
            "latitude": row["latitudes"] / row["listings"],
            "longitude": row["longitudes"] / row["listings"],
            "min_price": row["lowest"],
            "max_price": row["highest"],
            "any_id": row["single_id"],
        }
        for row in rows
    ]


def _live_cells(queryset: QuerySet, cell: float) -> Any:
    latitude, longitude = Cast("latitude", FloatField()), Cast("longitude", FloatField())
    return (
        queryset.annotate(cell_x=Floor(longitude / Value(cell)), cell_y=Floor(latitude / Value(cell)))
        .values("cell_x", "cell_y")
        .annotate(
            count=Count("*"),
            latitude=Avg(latitude),
            longitude=Avg(longitude),
            min_price=Min("price"),
            max_price=Max("price"),
            # The one id of a single-listing cell (text: min() has no uuid version).
            any_id=Min(Cast("id", CharField())),
        )
        .order_by("cell_y", "cell_x")
    )


# Dashboards


def listing_dashboard_rows(*, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Live listings in ``scope`` per status, type and publication: how many, and how
    many came in during ``period`` (one query)."""
    rows = (
        Listing.objects.filter(scope.q(agent=("agent_id",), owner=("owner_id",)))
        .order_by()
        .values("status", "listing_type", "is_published")
        .annotate(count=Count("pk"), new=Count("pk", filter=period.q("created_at")))
    )
    return list(rows)


def listing_ids_owned_by(user_id: Any) -> list[UUID]:
    """The ids of the listings ``user_id`` owns (for apps that show owners their listings' rows)."""
    return list(Listing.objects.filter(owner_id=user_id).values_list("pk", flat=True))


def listing_rollup_rows(*, company_ids: list[UUID | None] | None = None) -> list[dict[str, Any]]:
    """The dashboards' roll-up counters of live listings (``domus.core.scope.rollup_rows``):
    per status, type and publication now, and per day they were created (two queries)."""
    from domus.core.scope import rollup_rows

    keys = ("status", "listing_type", "is_published")
    return rollup_rows(
        Listing.objects.all(),
        company_ids=company_ids,
        keys=keys,
        measures={"state": (None, Q()), "created": ("created_at", Q())},
    )


def unit_occupancy_rows(*, scope: Scope) -> list[dict[str, Any]]:
    """Units of live listings in ``scope`` per status now (one query)."""
    rows = (
        Unit.objects.filter(
            scope.q(company="listing__company_id", agent=("listing__agent_id",), owner=("listing__owner_id",)),
            listing__deleted_at__isnull=True,
        )
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    return list(rows)
