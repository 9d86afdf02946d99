from datetime import date
from decimal import Decimal

import factory

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.leasing.models import Lease
from domus.properties.tests.factories import ListingFactory, UnitFactory


class LeaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lease

    listing = factory.SubFactory(ListingFactory)
    unit = factory.SubFactory(UnitFactory, listing=factory.SelfAttribute("..listing"))
    company = factory.LazyAttribute(lambda lease: lease.listing.company)
    owner = factory.LazyAttribute(lambda lease: lease.listing.owner)
    tenant = factory.SubFactory(UserFactory, role=Role.TENANT)
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)
    rent_amount = Decimal("50000.00")
    billing_day = 5
