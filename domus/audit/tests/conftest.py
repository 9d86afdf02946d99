import pytest


@pytest.fixture(autouse=True)
def _no_rate_limits(settings) -> None:
    # These tests read many times per user; the limits have their own tests.
    settings.RATE_LIMITS_ENABLED = False
