"""The back office lists and opens every listings model, soft-deleted listings included."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.models import Listing, PriceChange
from domus.properties.tests.factories import FeatureFactory, ListingFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_changelists_and_change_pages_open(superuser_client):
    listing = ListingFactory(title="Gone Listing")
    Listing.objects.filter(pk=listing.pk).update(deleted_at=listing.created_at)
    unit = UnitFactory(listing=listing)
    feature = FeatureFactory(name="Pool", slug="pool")
    change = PriceChange.objects.create(
        listing=listing, new_price=listing.price, currency="KES", changed_at=listing.created_at
    )

    listings = superuser_client.get("/admin/properties/listing/")
    assert listings.status_code == 200
    assert b"Gone Listing" in listings.content
    for path in (
        f"/admin/properties/listing/{listing.pk}/change/",
        "/admin/properties/unit/",
        f"/admin/properties/unit/{unit.pk}/change/",
        "/admin/properties/feature/",
        f"/admin/properties/feature/{feature.pk}/change/",
        "/admin/properties/feature/add/",
        "/admin/properties/pricechange/",
        f"/admin/properties/pricechange/{change.pk}/change/",
    ):
        assert superuser_client.get(path).status_code == 200, path


def test_a_features_slug_is_read_only_once_created(superuser_client):
    feature = FeatureFactory(name="Pool", slug="pool")

    superuser_client.post(f"/admin/properties/feature/{feature.pk}/change/", {"name": "Big Pool", "slug": "big-pool"})

    feature.refresh_from_db()
    assert (feature.name, feature.slug) == ("Big Pool", "pool")


def test_the_visit_favorite_search_and_media_pages_open(superuser_client):
    from domus.properties.models import Favorite, ListingMedia, SavedSearch, SavedSearchMatch
    from domus.properties.tests.factories import VisitFactory

    visit = VisitFactory()
    listing = visit.listing
    favorite = Favorite.objects.create(user=visit.customer, listing=listing)
    search = SavedSearch.objects.create(user=visit.customer, name="Flats", filters={"city": "Nairobi"})
    match = SavedSearchMatch.objects.create(saved_search=search, listing=listing)
    media = ListingMedia.objects.create(listing=listing, file="listings/x.png", content_type="image/png", size=1)

    for model, pk in (
        ("visit", visit.pk),
        ("favorite", favorite.pk),
        ("savedsearch", search.pk),
        ("savedsearchmatch", match.pk),
        ("listingmedia", media.pk),
    ):
        assert superuser_client.get(f"/admin/properties/{model}/").status_code == 200, model
        assert superuser_client.get(f"/admin/properties/{model}/{pk}/change/").status_code == 200, model
