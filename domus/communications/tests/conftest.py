"""Two customers, a stranger, a company with staff and an agent, and a fresh channel
layer per test (the in-memory layer keeps queues bound to one event loop)."""

import pytest
from channels.layers import channel_layers

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def alice(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def bob(db):
    return UserFactory(role=Role.AGENT)


@pytest.fixture
def stranger(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def company(db):
    return CompanyFactory(name="Alpha Homes")


@pytest.fixture
def other_company(db):
    return CompanyFactory(name="Beta Estates")


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF, user=UserFactory(role=Role.STAFF)).user


@pytest.fixture
def agent(company):
    return MembershipFactory(company=company, role=Role.AGENT, user=UserFactory(role=Role.AGENT)).user


@pytest.fixture
def other_staff(other_company):
    return MembershipFactory(company=other_company, role=Role.STAFF, user=UserFactory(role=Role.STAFF)).user
