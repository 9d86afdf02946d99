"""Whether an account exists is not told by the login's work: an unknown identifier
hashes a password as a known one does (asserted on the hasher, not on timing)."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.accounts.tests.hashers import CountingHasher

LOGIN = "/api/v1/accounts/auth/token/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["domus.accounts.tests.hashers.CountingHasher"]
    CountingHasher.runs = 0
    return CountingHasher


def hashes_for(api_client, hasher, identifier: str) -> tuple[int, int]:
    hasher.runs = 0
    status = api_client.post_json(LOGIN, {"username": identifier, "password": "not-the-password"}).status_code
    return status, hasher.runs


def test_an_unknown_identifier_costs_a_password_hash_like_a_known_one(api_client, counting_hasher):
    UserFactory(username="known", email="known@example.test", password="Sturdy-Pass-2024!")

    known = hashes_for(api_client, counting_hasher, "known@example.test")
    unknown_email = hashes_for(api_client, counting_hasher, "nobody@example.test")
    unknown_name = hashes_for(api_client, counting_hasher, "nobody")

    assert known == unknown_email == unknown_name == (401, 1)
