"""Two companies, A and B, each with a staff member; an agent and an owner in A; a
customer; and clients for them."""

import pytest
from django.conf import settings
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory
from domus.properties.tests.factories import ListingFactory

URL = "/api/v1/properties/"
# A page of the search: the count (PostgreSQL first asks the planner for its estimate),
# the ids of the page, its rows, their features.
SEARCH_PAGE_QUERIES = 5 if settings.IS_POSTGRES else 4


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    # These tests make many requests per user; the limits have their own tests.
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company_a(db):
    return CompanyFactory(name="Alpha Homes", currency="USD")


@pytest.fixture
def company_b(db):
    return CompanyFactory(name="Beta Estates")


@pytest.fixture
def staff_a(company_a):
    return MembershipFactory(company=company_a, role=Role.STAFF).user


@pytest.fixture
def staff_b(company_b):
    return MembershipFactory(company=company_b, role=Role.STAFF).user


@pytest.fixture
def agent_a(company_a):
    return MembershipFactory(company=company_a, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def owner(db):
    return UserFactory(role=Role.OWNER)


@pytest.fixture
def customer(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def draft_a(company_a, owner):
    """An unpublished draft of company A, owned by ``owner``."""
    return ListingFactory(company=company_a, owner=owner, status="draft", is_published=False, title="Hidden Draft")


@pytest.fixture
def published_a(company_a, owner):
    return ListingFactory(
        company=company_a, owner=owner, title="Sunset Apartments", price="250000.00", published_at=timezone.now()
    )


@pytest.fixture
def staff_a_client(client_for, staff_a):
    return client_for(staff_a)
