from decimal import Decimal

import factory

from domus.accounts.tests.factories import UserFactory
from domus.properties.tests.factories import ListingFactory
from domus.sales.models import Offer


class OfferFactory(factory.django.DjangoModelFactory):
    """A customer's pending offer on a listing (give ``listing=`` one of a company)."""

    class Meta:
        model = Offer

    listing = factory.SubFactory(ListingFactory)
    company = factory.LazyAttribute(lambda o: o.listing.company)
    buyer = factory.SubFactory(UserFactory)
    created_by = factory.LazyAttribute(lambda o: o.buyer)
    amount = Decimal("90000.00")
