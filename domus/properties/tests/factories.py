from decimal import Decimal

import factory

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.models import Feature, Listing, ListingStatus, Unit


class FeatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feature
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Feature {n}")
    slug = factory.LazyAttribute(lambda f: f.name.lower().replace(" ", "-"))


class ListingFactory(factory.django.DjangoModelFactory):
    """A published, available listing in Nairobi."""

    class Meta:
        model = Listing
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Listing {n}")
    description = "A fine home."
    property_type = "apartment"
    listing_type = "sale"
    status = ListingStatus.AVAILABLE
    price = Decimal("100000.00")
    currency = "KES"
    bedrooms = 2
    bathrooms = 1
    area_m2 = Decimal("80.00")
    address = "1 Riverside Drive"
    city = "Nairobi"
    country = "KE"
    is_published = True
    owner = factory.SubFactory(UserFactory, role=Role.OWNER)

    @factory.post_generation
    def features(self, create: bool, extracted, **kwargs) -> None:
        if create and extracted:
            self.features.set(extracted)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    listing = factory.SubFactory(ListingFactory)
    unit_number = factory.Sequence(lambda n: f"A{n}")
