"""Two customers, a stranger, a company with staff and an agent, and a fresh channel
layer per test (the in-memory layer keeps queues bound to one event loop)."""

import pytest
from channels.layers import channel_layers

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.fixtures import *  # noqa: F403


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
