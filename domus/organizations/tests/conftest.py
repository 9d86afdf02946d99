"""Two tenants, A and B, each with a staff member and an agent, and clients for them."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.models import Company
from domus.organizations.tests.factories import BranchFactory, CompanyFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    # These tests make many writes per user; the limits have their own tests.
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company_a(db):
    return CompanyFactory(name="Alpha Homes", status=Company.Status.DRAFT, activated_at=None)


@pytest.fixture
def company_b(db):
    return CompanyFactory(name="Beta Estates", status=Company.Status.DRAFT, activated_at=None)


@pytest.fixture
def staff_a(company_a):
    return MembershipFactory(company=company_a, role=Role.STAFF).user


@pytest.fixture
def agent_a(company_a):
    return MembershipFactory(company=company_a, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def staff_b(company_b):
    return MembershipFactory(company=company_b, role=Role.STAFF).user


@pytest.fixture
def branch_a(company_a):
    return BranchFactory(company=company_a, name="Alpha Westlands", code="WL")


@pytest.fixture
def branch_b(company_b):
    return BranchFactory(company=company_b, name="Beta Kilimani", code="KL")


@pytest.fixture
def staff_a_client(client_for, staff_a):
    return client_for(staff_a)


@pytest.fixture
def agent_a_client(client_for, agent_a):
    return client_for(agent_a)


@pytest.fixture
def staff_b_client(client_for, staff_b):
    return client_for(staff_b)
