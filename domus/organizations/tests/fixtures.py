"""Two companies ("Alpha Homes" and "Beta Estates") with a staff member each and an agent
of the first, with the rate limits off (these suites make many requests per user; the
limits have their own tests). A test package takes them with
``from domus.organizations.tests.fixtures import *`` in its conftest."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

__all__ = ["_no_rate_limits", "agent", "company", "other_company", "other_staff", "staff"]


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
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
