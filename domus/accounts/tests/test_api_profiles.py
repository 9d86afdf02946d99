"""Profiles CRUD: a user reaches only their own; admins reach all."""

import pytest

from domus.accounts.models import Profile
from domus.accounts.tests.factories import ProfileFactory, UserFactory
from domus.core.exceptions import ErrorCode

PROFILES = "/api/v1/accounts/profiles/"

pytestmark = pytest.mark.django_db


def url(profile) -> str:
    return f"{PROFILES}{profile.id}/"


def snapshot() -> list[tuple]:
    return list(Profile.objects.order_by("pk").values_list("pk", "user_id", "bio", "city", "updated_at"))


@pytest.fixture
def mine(user):
    return ProfileFactory(user=user, city="Nairobi")


@pytest.fixture
def theirs(db):
    return ProfileFactory(city="Mombasa")


def test_a_user_lists_only_their_own_profile(user_client, mine, theirs):
    body = user_client.get(PROFILES).json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(mine.id)


def test_admins_list_every_profile_with_filters(admin_client, mine, theirs):
    assert admin_client.get(PROFILES).json()["count"] == 2
    results = admin_client.get(f"{PROFILES}?city=mombasa").json()["results"]
    assert [p["id"] for p in results] == [str(theirs.id)]
    results = admin_client.get(f"{PROFILES}?search={theirs.user.username}").json()["results"]
    assert [p["id"] for p in results] == [str(theirs.id)]


def test_another_users_profile_is_a_404_and_stays_unchanged(user_client, mine, theirs, audit_log):
    before = snapshot()

    answers = [
        user_client.get(url(theirs)),
        user_client.put_json(url(theirs), {"bio": "mine now"}),
        user_client.patch_json(url(theirs), {"bio": "mine now"}),
        user_client.delete(url(theirs)),
    ]

    assert [a.status_code for a in answers] == [404] * 4
    assert all(a.json()["code"] == ErrorCode.NOT_FOUND_ERROR for a in answers)
    assert snapshot() == before
    assert not audit_log.objects.exists()


def test_a_user_reads_and_edits_their_own_profile(user_client, mine, audit_log):
    assert user_client.get(url(mine)).json()["city"] == "Nairobi"

    patched = user_client.patch_json(url(mine), {"bio": "Hi", "country": "ug"})
    assert patched.status_code == 200
    assert (patched.json()["bio"], patched.json()["country"], patched.json()["city"]) == ("Hi", "UG", "Nairobi")

    replaced = user_client.put_json(url(mine), {"bio": "Only bio"})
    assert replaced.status_code == 200
    mine.refresh_from_db()
    assert (mine.bio, mine.city, mine.country, mine.language) == ("Only bio", "", "", "en")
    assert audit_log.objects.filter(action="update", resource_type="accounts.profile").count() == 2


def test_admins_edit_any_profile(admin_client, theirs):
    assert admin_client.patch_json(url(theirs), {"city": "Malindi"}).status_code == 200
    assert Profile.objects.get(pk=theirs.pk).city == "Malindi"


def test_post_creates_the_callers_missing_profile_and_409s_a_second(user_client, user, audit_log):
    created = user_client.post_json(PROFILES, {"city": "Eldoret", "timezone": "Africa/Nairobi"})

    assert created.status_code == 201, created.content
    assert created.json()["user_id"] == str(user.id)
    assert Profile.objects.get(user=user).city == "Eldoret"
    assert audit_log.objects.filter(action="create", resource_type="accounts.profile").count() == 1

    again = user_client.post_json(PROFILES, {"city": "Nakuru"})
    assert again.status_code == 409
    assert again.json()["code"] == ErrorCode.CONFLICT_ERROR
    assert Profile.objects.get(user=user).city == "Eldoret"


def test_admins_create_a_profile_for_another_user(admin_client):
    target = UserFactory()
    response = admin_client.post_json(PROFILES, {"user_id": str(target.id), "bio": "Made by admin"})
    assert response.status_code == 201
    assert Profile.objects.get(user=target).bio == "Made by admin"
    unknown = admin_client.post_json(PROFILES, {"user_id": "01900000-0000-7000-8000-000000000000"})
    assert unknown.status_code == 404
    assert "user_id" in unknown.json()["errors"]


def test_a_user_cannot_create_someone_elses_profile(user_client):
    target = UserFactory()
    response = user_client.post_json(PROFILES, {"user_id": str(target.id)})
    assert response.status_code == 403
    assert not Profile.objects.exists()


def test_delete_own_profile_then_create_it_again(user_client, user, mine, audit_log):
    assert user_client.delete(url(mine)).status_code == 204
    assert not Profile.objects.filter(user=user).exists()
    assert audit_log.objects.filter(
        action="delete", resource_type="accounts.profile", resource_id=str(mine.id)
    ).exists()
    assert user_client.post_json(PROFILES, {}).status_code == 201


def test_profiles_of_deleted_users_are_hidden(admin_client, theirs):
    admin_client.delete(f"/api/v1/accounts/users/{theirs.user_id}/")
    assert admin_client.get(url(theirs)).status_code == 404
    assert admin_client.get(PROFILES).json()["count"] == 0


def test_profiles_need_authentication(api_client, mine):
    assert api_client.get(PROFILES).status_code == 401
    assert api_client.get(url(mine)).status_code == 401
