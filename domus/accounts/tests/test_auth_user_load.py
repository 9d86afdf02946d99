"""The caller's token and user on every request: one statement, compiled once; an access
token's claims verified once and its expiry checked on every use."""

from datetime import timedelta
from unittest import mock

import jwt
import pytest
from django.utils import timezone

from domus.accounts import tokens
from domus.accounts.auth import user_from_access_token
from domus.accounts.models import User
from domus.core.exceptions import AuthenticationFailed

ME = "/api/v1/accounts/me/"

pytestmark = pytest.mark.django_db


def bearer(access: str) -> dict:
    return {"Authorization": f"Bearer {access}"}


def test_the_user_is_the_orms_with_its_profile_in_one_statement(user, django_assert_num_queries):
    access = tokens.issue_pair(user).access
    expected = User.objects.select_related("profile").get(pk=user.pk)
    for _ in range(2):  # compiled on the first run, reused on the second
        with django_assert_num_queries(1):
            found = user_from_access_token(access)
            assert "profile" in found._state.fields_cache  # loaded with the user (None: it has none)
        assert found == expected
        assert found._state.adding is False
        assert found._state.db == "default"
        assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == {
            f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
        }


def test_a_user_deactivated_after_the_token_was_seen_is_refused_at_once(api_client, user):
    access = tokens.issue_pair(user).access
    assert api_client.get(ME, headers=bearer(access)).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.get(ME, headers=bearer(access)).status_code == 401


def test_a_remembered_token_still_expires(user):
    access = tokens.issue_pair(user).access
    assert user_from_access_token(access) == user
    later = timezone.now() + timedelta(days=1)
    with mock.patch("jwt.api_jwt.datetime") as jwt_clock, mock.patch("domus.accounts.tokens.datetime") as clock:
        for patched in (jwt_clock, clock):
            patched.now.return_value = later
        with pytest.raises(AuthenticationFailed, match="expired"):
            user_from_access_token(access)


def test_a_remembered_token_is_checked_again_under_another_signing_key(user, settings):
    access = tokens.issue_pair(user).access
    assert user_from_access_token(access) == user
    settings.JWT_SIGNING_KEY = "another-signing-key-long-enough-for-hs256-signatures"
    with pytest.raises(AuthenticationFailed, match="invalid"):
        user_from_access_token(access)


def test_a_refresh_token_is_not_an_access_token_even_when_remembered(user):
    pair = tokens.issue_pair(user)
    assert user_from_access_token(pair.access) == user
    with pytest.raises(AuthenticationFailed, match="access"):
        user_from_access_token(pair.refresh)


def test_the_remembered_claims_are_bounded(user, monkeypatch):
    monkeypatch.setattr(tokens, "_ACCESS_CLAIMS_MAX", 3)
    tokens._ACCESS_CLAIMS.clear()
    for _ in range(5):
        tokens.decode_access(tokens.issue_access(user))
    assert len(tokens._ACCESS_CLAIMS) <= 3


def test_a_malformed_token_is_refused_and_not_remembered(user, settings):
    forged = jwt.encode({"sub": str(user.pk), "type": "access"}, settings.JWT_SIGNING_KEY, algorithm="HS256")
    with pytest.raises(AuthenticationFailed):
        user_from_access_token(forged)
    assert forged not in tokens._ACCESS_CLAIMS
