from datetime import datetime, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.properties.models import Feature, Listing, ListingStatus, Unit, Visit, VisitStatus


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


class VisitFactory(factory.django.DjangoModelFactory):
    """A requested visit tomorrow at 10:00 UTC for an hour, shown by the listing's agent."""

    class Meta:
        model = Visit

    listing = factory.SubFactory(ListingFactory, agent=factory.SubFactory(UserFactory, role=Role.AGENT))
    customer = factory.SubFactory(UserFactory, role=Role.CUSTOMER)
    agent = factory.LazyAttribute(lambda v: v.listing.agent)
    starts_at = factory.LazyFunction(lambda: _tomorrow_at(10))
    ends_at = factory.LazyAttribute(lambda v: v.starts_at + timedelta(hours=1))
    status = VisitStatus.REQUESTED


def _tomorrow_at(hour: int) -> datetime:
    return (timezone.now() + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
