"""Listings (the M-Pesa backend's "properties",
the management system's "projects"), their units, the feature
taxonomy, the price history, visits, favorites, saved searches and media."""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from domus.core.models import BaseModel, SoftDeleteModel
from domus.core.money import DEFAULT_CURRENCY

MAPS_SEARCH_URL = "https://www.google.com/maps/search/"
# "lat,lng": quote_plus leaves digits, "-" and "." as they are and writes "," as %2C.
_COORDINATES = re.compile(r"[-0-9.]+,[-0-9.]+")


class Feature(BaseModel):
    """An amenity a listing may have ("swimming-pool", "parking"). The slug is the
    public identifier: set once, never changed."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta(BaseModel.Meta):
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PropertyType(models.TextChoices):
    APARTMENT = "apartment", "Apartment"
    HOUSE = "house", "House"
    VILLA = "villa", "Villa"
    TOWNHOUSE = "townhouse", "Townhouse"
    LAND = "land", "Land"
    COMMERCIAL = "commercial", "Commercial"
    OFFICE = "office", "Office"
    OTHER = "other", "Other"


class ListingType(models.TextChoices):
    SALE = "sale", "For sale"
    RENT = "rent", "For rent"


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AVAILABLE = "available", "Available"
    UNDER_OFFER = "under_offer", "Under offer"
    RENTED = "rented", "Rented"
    SOLD = "sold", "Sold"
    ARCHIVED = "archived", "Archived"


# status -> the statuses it may move to.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ListingStatus.DRAFT: (ListingStatus.AVAILABLE, ListingStatus.ARCHIVED),
    ListingStatus.AVAILABLE: (
        ListingStatus.UNDER_OFFER,
        ListingStatus.RENTED,
        ListingStatus.SOLD,
        ListingStatus.DRAFT,
        ListingStatus.ARCHIVED,
    ),
    ListingStatus.UNDER_OFFER: (
        ListingStatus.AVAILABLE,
        ListingStatus.RENTED,
        ListingStatus.SOLD,
        ListingStatus.ARCHIVED,
    ),
    ListingStatus.RENTED: (ListingStatus.AVAILABLE, ListingStatus.ARCHIVED),
    ListingStatus.SOLD: (ListingStatus.ARCHIVED,),
    ListingStatus.ARCHIVED: (ListingStatus.DRAFT, ListingStatus.AVAILABLE),
}
# A new listing starts in one of these.
INITIAL_STATUSES = (ListingStatus.DRAFT, ListingStatus.AVAILABLE)
# Published listings in these statuses are public; drafts and archived ones never are.
PUBLIC_STATUSES = (ListingStatus.AVAILABLE, ListingStatus.UNDER_OFFER, ListingStatus.RENTED, ListingStatus.SOLD)
# The rows anyone may read; partial indexes over them serve the public search.
PUBLIC_LISTING = Q(deleted_at__isnull=True, is_published=True, status__in=PUBLIC_STATUSES)


class Listing(SoftDeleteModel):
    """A property offered for sale or rent."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    property_type = models.CharField(max_length=20, choices=PropertyType.choices, default=PropertyType.OTHER)
    listing_type = models.CharField(max_length=10, choices=ListingType.choices, default=ListingType.SALE)
    status = models.CharField(max_length=20, choices=ListingStatus.choices, default=ListingStatus.DRAFT)
    price = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, help_text="ISO 4217")
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    bathrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    area_m2 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    year_built = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1000), MaxValueValidator(2200)]
    )
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    zip_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    total_units = models.PositiveIntegerField(default=1)
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    listed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it last went on the market (published and available)."
    )
    company = models.ForeignKey(
        "organizations.Company", null=True, blank=True, on_delete=models.PROTECT, related_name="listings"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_listings")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="agent_listings"
    )
    features = models.ManyToManyField(Feature, blank=True, related_name="listings")

    class Meta(SoftDeleteModel.Meta):
        indexes = [
            models.Index(fields=["status", "is_published", "-created_at"], name="listing_status_pub_created"),
            # city is matched case-insensitively (UPPER(city) = UPPER(%s)).
            models.Index(Upper("city"), "price", name="listing_city_price"),
            models.Index(fields=["latitude", "longitude"], name="listing_lat_lng"),
            models.Index(fields=["price"], name="listing_price"),
            models.Index(fields=["bedrooms"], name="listing_bedrooms"),
            models.Index(fields=["listed_at"], name="listing_listed_at"),
            # Partial indexes over the public listings (bench/listings/README.md maps each filter to its index):
            # newest first, overall and per city (default ordering, text search, deep pages) ...
            models.Index(
                F("created_at").desc(), F("id").desc(), name="listing_public_newest", condition=PUBLIC_LISTING
            ),
            models.Index(
                Upper("city"),
                F("created_at").desc(),
                F("id").desc(),
                name="listing_public_city_newest",
                condition=PUBLIC_LISTING,
            ),
            # ... bbox, near and map clusters from the index alone ...
            models.Index(
                fields=["latitude", "longitude", "price", "id", "created_at"],
                name="listing_public_geo",
                condition=PUBLIC_LISTING,
            ),
            # ... and every facet column, so facets are an index-only scan (of one city when filtered by
            # city, of a price range of it when filtered by price too).
            models.Index(
                Upper("city"),
                "price",
                "property_type",
                "listing_type",
                "bedrooms",
                "city",
                name="listing_public_facets",
                condition=PUBLIC_LISTING,
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="listing_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="listing_longitude_range",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="listing_price_not_negative"),
            models.CheckConstraint(
                condition=Q(area_m2__isnull=True) | Q(area_m2__gte=0), name="listing_area_not_negative"
            ),
            models.CheckConstraint(condition=Q(status__in=ListingStatus.values), name="listing_status_valid"),
            models.CheckConstraint(
                condition=Q(property_type__in=PropertyType.values), name="listing_property_type_valid"
            ),
            models.CheckConstraint(condition=Q(listing_type__in=ListingType.values), name="listing_type_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def name(self) -> str:
        """The real-estate management system calls the title ``name``."""
        return self.title

    @property
    def maps_url(self) -> str:
        """A Google Maps search URL: by coordinates when known, else by address."""
        if self.latitude is not None and self.longitude is not None:
            query = f"{self.latitude},{self.longitude}"
        else:
            parts = [self.address, self.city, self.state, self.zip_code, self.country]
            query = ", ".join(p for p in parts if p) or self.title
        if _COORDINATES.fullmatch(query):  # what urlencode makes of it, without its general path
            return f"{MAPS_SEARCH_URL}?api=1&query={query.replace(',', '%2C')}"
        return f"{MAPS_SEARCH_URL}?{urlencode({'api': 1, 'query': query})}"

    def allowed_next_statuses(self) -> list[str]:
        return [str(s) for s in STATUS_TRANSITIONS.get(self.status, ())]


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    RESERVED = "reserved", "Reserved"
    RENTED = "rented", "Rented"
    SOLD = "sold", "Sold"


class Unit(BaseModel):
    """One unit (flat, shop, plot) of a listing."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="units")
    unit_number = models.CharField(max_length=50)
    floor = models.SmallIntegerField(null=True, blank=True)
    unit_type = models.CharField(max_length=50, blank=True)
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    bathrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    area_m2 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=20, choices=UnitStatus.choices, default=UnitStatus.AVAILABLE)

    class Meta(BaseModel.Meta):
        ordering = ["unit_number"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "unit_number"], name="unit_number_unique_per_listing"),
            models.CheckConstraint(condition=Q(status__in=UnitStatus.values), name="unit_status_valid"),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="unit_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} #{self.unit_number}"


class PriceChange(models.Model):
    """One change of a listing's price (the first row, with no old price, is the
    price it was listed at)."""

    id = models.BigAutoField(primary_key=True)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="price_changes")
    old_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    new_price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["listing", "-changed_at"], name="pricechange_listing_time")]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.old_price} -> {self.new_price} {self.currency}"


# Visits ---------------------------------------------------------------------------------------


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


# status -> the statuses it may move to (rescheduling keeps a visit active, see services).
VISIT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    VisitStatus.REQUESTED: (VisitStatus.CONFIRMED, VisitStatus.CANCELLED),
    VisitStatus.CONFIRMED: (VisitStatus.COMPLETED, VisitStatus.CANCELLED),
    VisitStatus.CANCELLED: (),
    VisitStatus.COMPLETED: (),
}
# Visits in these statuses hold their slot: no two of them overlap for one agent or one listing.
ACTIVE_VISIT_STATUSES = (VisitStatus.REQUESTED, VisitStatus.CONFIRMED)


class Visit(BaseModel):
    """A viewing of a listing by a customer, shown by the listing's agent.

    On PostgreSQL two exclusion constraints (migration 0002, ``btree_gist``) forbid two
    active visits whose ``[starts_at, ends_at)`` ranges overlap for the same agent or
    the same listing. They are not declared here because SQLite cannot hold them; there
    the service checks inside its IMMEDIATE (writer-serialising) transaction."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="visits")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="visits")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="agent_visits")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=VisitStatus.choices, default=VisitStatus.REQUESTED)
    cancel_reason = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["agent", "starts_at"], name="visit_agent_starts"),
            models.Index(fields=["listing", "starts_at"], name="visit_listing_starts"),
            models.Index(fields=["customer", "starts_at"], name="visit_customer_starts"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="visit_ends_after_start"),
            models.CheckConstraint(condition=Q(status__in=VisitStatus.values), name="visit_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_VISIT_STATUSES

    def allowed_next_statuses(self) -> list[str]:
        return [str(s) for s in VISIT_TRANSITIONS.get(self.status, ())]


# Favorites and saved searches -----------------------------------------------------------------


class Favorite(BaseModel):
    """A listing a user saved."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="favorites")

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="favorite_unique_user_listing")]
        indexes = [models.Index(fields=["user", "-created_at"], name="favorite_user_created")]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.listing_id}"


class AlertFrequency(models.TextChoices):
    INSTANT = "instant", "Instant"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    NONE = "none", "None"


class SavedSearch(BaseModel):
    """A named set of listing search filters whose new matches are announced to its owner."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    filters = models.JSONField(default=dict, blank=True)
    alert_frequency = models.CharField(max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.DAILY)
    last_checked_at = models.DateTimeField(
        null=True, blank=True, help_text="Watermark: listings on the market since are checked next run."
    )
    last_alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta(BaseModel.Meta):
        verbose_name_plural = "saved searches"
        indexes = [models.Index(fields=["alert_frequency", "last_checked_at"], name="savedsearch_freq_checked")]
        constraints = [
            models.CheckConstraint(
                condition=Q(alert_frequency__in=AlertFrequency.values), name="savedsearch_freq_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SavedSearchMatch(models.Model):
    """One listing announced for one saved search: each match is announced once."""

    id = models.BigAutoField(primary_key=True)
    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "saved search matches"
        ordering = ["-matched_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["saved_search", "listing"], name="savedsearchmatch_unique_search_listing")
        ]

    def __str__(self) -> str:
        return f"{self.saved_search_id}: {self.listing_id}"


# Media ----------------------------------------------------------------------------------------


class MediaKind(models.TextChoices):
    IMAGE = "image", "Image"
    DOCUMENT = "document", "Document"
    FLOOR_PLAN = "floor_plan", "Floor plan"


def media_upload_to(instance: "ListingMedia", filename: str) -> str:
    return f"listings/{instance.listing_id}/{instance.id}{Path(filename).suffix.lower()}"


class ListingMedia(BaseModel):
    """A photo, document or floor plan of a listing; at most one cover per listing."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=20, choices=MediaKind.choices, default=MediaKind.IMAGE)
    file = models.FileField(upload_to=media_upload_to, max_length=255)
    thumbnail = models.CharField(max_length=255, blank=True, help_text="Storage name of the JPEG thumbnail.")
    original_name = models.CharField(max_length=255, blank=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200, blank=True)
    position = models.PositiveIntegerField(default=0)
    is_cover = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        verbose_name_plural = "listing media"
        ordering = ["position", "created_at"]
        indexes = [models.Index(fields=["listing", "position"], name="media_listing_position")]
        constraints = [
            models.UniqueConstraint(fields=["listing"], condition=Q(is_cover=True), name="media_one_cover_per_listing"),
            models.CheckConstraint(condition=Q(kind__in=MediaKind.values), name="media_kind_valid"),
            models.CheckConstraint(condition=Q(is_cover=False) | Q(kind=MediaKind.IMAGE), name="media_cover_is_image"),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} {self.kind} #{self.position}"


# Map roll-up ------------------------------------------------------------------------------------


class MapGridCell(models.Model):
    """The public listings of one cell of a fine map grid (zoom ``MAP_GRID_ZOOM`` of
    the map, see selectors), rebuilt as a whole by ``services.map_grid_rebuild``:
    low-zoom map clusters sum these cells instead of grouping every listing."""

    id = models.BigAutoField(primary_key=True)
    cell_x = models.IntegerField()
    cell_y = models.IntegerField()
    count = models.PositiveIntegerField()
    latitude_sum = models.FloatField()
    longitude_sum = models.FloatField()
    min_price = models.DecimalField(max_digits=14, decimal_places=2)
    max_price = models.DecimalField(max_digits=14, decimal_places=2)
    listing_id = models.UUIDField(null=True, blank=True, help_text="The one listing of a single-listing cell.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cell_y", "cell_x"], name="mapgridcell_unique_cell")]

    def __str__(self) -> str:
        return f"({self.cell_x}, {self.cell_y}): {self.count}"


class FacetGroup(models.Model):
    """How many public listings share one combination of the facet dimensions and
    price step, rebuilt as a whole by ``services.facet_groups_rebuild``: facets filtered
    by nothing but these dimensions and a price range sum a few thousand rows instead of
    grouping every listing."""

    id = models.BigAutoField(primary_key=True)
    property_type = models.CharField(max_length=20)
    listing_type = models.CharField(max_length=10)
    city = models.CharField(max_length=100)
    bedrooms = models.PositiveIntegerField(null=True, blank=True)
    price_bucket = models.PositiveSmallIntegerField(null=True, blank=True)
    # The step of the finer price grid (``selectors.PRICE_STEPS``) that price ranges sum.
    price_step = models.PositiveSmallIntegerField(null=True, blank=True)
    count = models.PositiveIntegerField()

    def __str__(self) -> str:
        return (
            f"{self.city} {self.property_type} {self.listing_type} {self.bedrooms} #{self.price_bucket}: {self.count}"
        )
