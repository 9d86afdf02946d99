import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory, UnitFactory


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF).user


@pytest.fixture
def tenant(db):
    return UserFactory(role=Role.TENANT)


@pytest.fixture
def listing(company):
    return ListingFactory(company=company, listing_type="rent", status="available", is_published=True)


@pytest.fixture
def unit(listing):
    return UnitFactory(listing=listing)
