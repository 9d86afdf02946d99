"""A company with a staff member and two agents, a second company with its own staff,
a customer, and a listing of the first company (also used by the sales tests)."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import MembershipFactory
from domus.organizations.tests.fixtures import *  # noqa: F403
from domus.properties.tests.factories import ListingFactory


@pytest.fixture
def agent2(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def customer(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def listing(company, agent):
    return ListingFactory(company=company, agent=agent, price="100000.00")
