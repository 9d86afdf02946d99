import pytest

from tests import contract_api


@pytest.fixture
def contract(settings):
    """Serve the test-only contract API at /api/v1/contract/."""
    settings.ROOT_URLCONF = "tests.urls"
    contract_api.calls.clear()
    return contract_api
