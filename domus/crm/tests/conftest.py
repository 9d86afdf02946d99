"""A company with a staff member and two agents, a second company with its own staff,
a customer, and a listing of the first company (also used by the sales tests)."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    # These tests make many requests per user; the capture limits have their own tests.
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory(name="Alpha Homes")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Beta Estates")


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF).user


@pytest.fixture
def other_staff(other_company):
    return MembershipFactory(company=other_company, role=Role.STAFF).user


@pytest.fixture
def agent(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def agent2(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def customer(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def listing(company, agent):
    return ListingFactory(company=company, agent=agent, price="100000.00")
