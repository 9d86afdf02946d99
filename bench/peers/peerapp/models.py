# ruff: noqa: DJ008  (unmanaged models of a benchmark: nobody prints them)
"""Domus' own tables, read and written through unmanaged models (``inspectdb``, trimmed
to what the measured endpoints use)."""

import uuid
from urllib.parse import urlencode

from django.db import models

MAPS_SEARCH_URL = "https://www.google.com/maps/search/"
PUBLIC_STATUSES = ("available", "under_offer", "rented", "sold")
STATUS_TRANSITIONS = {
    "draft": ("available", "archived"),
    "available": ("under_offer", "rented", "sold", "draft", "archived"),
    "under_offer": ("available", "rented", "sold", "archived"),
    "rented": ("available", "archived"),
    "sold": ("archived",),
    "archived": ("draft", "available"),
}


class User(models.Model):
    id = models.UUIDField(primary_key=True)
    email = models.CharField(max_length=254)
    username = models.CharField(max_length=150)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    phone = models.CharField(max_length=32)
    role = models.CharField(max_length=20)
    is_active = models.BooleanField()
    date_joined = models.DateTimeField()
    last_login = models.DateTimeField(null=True)
    deleted_at = models.DateTimeField(null=True)

    is_authenticated = True

    class Meta:
        managed = False
        db_table = "accounts_user"


class Profile(models.Model):
    id = models.UUIDField(primary_key=True)
    user = models.OneToOneField(User, models.DO_NOTHING, related_name="profile")
    bio = models.TextField()
    avatar_url = models.CharField(max_length=200)
    date_of_birth = models.DateField(null=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2)
    language = models.CharField(max_length=10)
    timezone = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "accounts_profile"


class Company(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=200)
    deleted_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "organizations_company"


class Membership(models.Model):
    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, models.DO_NOTHING, related_name="memberships")
    company = models.ForeignKey(Company, models.DO_NOTHING)
    role = models.CharField(max_length=20)
    is_active = models.BooleanField()
    status = models.CharField(max_length=10)

    class Meta:
        managed = False
        db_table = "organizations_membership"


class Feature(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(max_length=100)
    slug = models.CharField(max_length=100)

    class Meta:
        managed = False
        db_table = "properties_feature"
        ordering = ["name"]


class Listing(models.Model):
    id = models.UUIDField(primary_key=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True)
    title = models.CharField(max_length=200)
    description = models.TextField()
    property_type = models.CharField(max_length=20)
    listing_type = models.CharField(max_length=10)
    status = models.CharField(max_length=20)
    price = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    bedrooms = models.SmallIntegerField(null=True)
    bathrooms = models.SmallIntegerField(null=True)
    area_m2 = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    year_built = models.SmallIntegerField(null=True)
    address = models.CharField(max_length=255)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100)
    zip_code = models.CharField(max_length=20)
    country = models.CharField(max_length=2)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True)
    total_units = models.IntegerField()
    is_published = models.BooleanField()
    published_at = models.DateTimeField(null=True)
    company_id = models.UUIDField(null=True)
    owner_id = models.UUIDField()
    agent_id = models.UUIDField(null=True)
    features = models.ManyToManyField(Feature, through="ListingFeature", related_name="+")

    class Meta:
        managed = False
        db_table = "properties_listing"

    @property
    def name(self) -> str:
        return self.title

    @property
    def maps_url(self) -> str:
        if self.latitude is not None and self.longitude is not None:
            query = f"{self.latitude},{self.longitude}"
        else:
            parts = [self.address, self.city, self.state, self.zip_code, self.country]
            query = ", ".join(p for p in parts if p) or self.title
        return f"{MAPS_SEARCH_URL}?{urlencode({'api': 1, 'query': query})}"

    def allowed_next_statuses(self) -> list[str]:
        return list(STATUS_TRANSITIONS.get(self.status, ()))


class ListingFeature(models.Model):
    id = models.BigAutoField(primary_key=True)
    listing = models.ForeignKey(Listing, models.DO_NOTHING)
    feature = models.ForeignKey(Feature, models.DO_NOTHING)

    class Meta:
        managed = False
        db_table = "properties_listing_features"


class ListingMedia(models.Model):
    id = models.UUIDField(primary_key=True)
    listing = models.ForeignKey(Listing, models.DO_NOTHING, related_name="media")
    thumbnail = models.CharField(max_length=255)
    is_cover = models.BooleanField()

    class Meta:
        managed = False
        db_table = "properties_listingmedia"


class Lead(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    company_id = models.UUIDField()
    name = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=32, blank=True, default="")
    message = models.TextField(blank=True, default="")
    source = models.CharField(max_length=20, default="manual")
    status = models.CharField(max_length=20, default="new")
    lost_reason = models.CharField(max_length=255, default="")
    stage_reached = models.SmallIntegerField(default=0)
    budget_min = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    budget_max = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    preferred_call_at = models.DateTimeField(null=True)
    score = models.SmallIntegerField(default=0)
    score_breakdown = models.JSONField(default=list)
    scored_at = models.DateTimeField(null=True)
    activity_count = models.IntegerField(default=0)
    last_activity_at = models.DateTimeField(null=True)
    merged_count = models.IntegerField(default=0)
    assigned_agent_id = models.UUIDField(null=True)
    user_id = models.UUIDField(null=True)
    listing_id = models.UUIDField(null=True)
    client_id = models.UUIDField(null=True)

    class Meta:
        managed = False
        db_table = "crm_lead"
