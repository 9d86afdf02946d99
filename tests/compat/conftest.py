"""Companies and people of the original systems' flows: one company with staff and an
agent, and a second company for the users who belong to several."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    # A flow makes many requests per user; the limits have their own tests.
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory(name="Alpha Homes", currency="USD")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Beta Estates", currency="EUR")


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF, user=UserFactory(role=Role.STAFF)).user


@pytest.fixture
def agent(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def customer(db):
    return UserFactory(role=Role.CUSTOMER)
