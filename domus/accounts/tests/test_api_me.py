"""The current user: GET, PUT and PATCH of /accounts/me/ and the original systems' aliases of it."""

import pytest

from domus.accounts import services
from domus.accounts.models import Profile, User
from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

ME = "/api/v1/accounts/me/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db):
    """A user made the normal way, so they have a profile."""
    return services.user_create(
        actor=None, email="mia@example.test", username="mia", password="Sturdy-Pass-2024!", first_name="Mia"
    )


@pytest.fixture
def member_client(client_for, member):
    return client_for(member)


def full_body(**changes) -> dict:
    body = {
        "email": "mia@example.test",
        "username": "mia_k",
        "first_name": "Mia",
        "last_name": "Kamau",
        "phone": "+254711000222",
        "profile": {
            "bio": "Looking for a flat.",
            "avatar_url": "https://cdn.example.test/mia.png",
            "date_of_birth": "1990-04-01",
            "address": "Ngong Road 5",
            "city": "Nairobi",
            "country": "ke",
            "language": "sw",
            "timezone": "Africa/Nairobi",
        },
    }
    return {**body, **changes}


def test_me_answers_the_user_and_their_profile(member_client, member):
    body = member_client.get(ME).json()
    assert body["id"] == str(member.id)
    assert body["first_name"] == "Mia"
    assert body["profile"]["id"] == str(member.profile.id)
    assert body["profile"]["timezone"] == "UTC"


def test_me_without_a_profile(user_client):
    assert user_client.get(ME).json()["profile"] is None


def test_put_me_replaces_the_details_and_the_profile(member_client, member, audit_log):
    response = member_client.put_json(ME, full_body())

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["username"] == "mia_k"
    assert body["profile"]["country"] == "KE"
    member.refresh_from_db()
    assert (member.username, member.last_name, member.phone) == ("mia_k", "Kamau", "+254711000222")
    profile = Profile.objects.get(user=member)
    assert (profile.city, profile.language, str(profile.date_of_birth)) == ("Nairobi", "sw", "1990-04-01")
    user_change = audit_log.objects.get(action="update", resource_type="accounts.user", resource_id=str(member.id))
    assert user_change.changes["username"] == {"before": "mia", "after": "mia_k"}
    assert audit_log.objects.filter(action="update", resource_type="accounts.profile").exists()


def test_put_me_without_names_clears_them_and_leaves_the_profile(member_client, member):
    Profile.objects.filter(user=member).update(city="Mombasa")
    response = member_client.put_json(ME, {"email": member.email, "username": member.username})
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.first_name == ""
    assert Profile.objects.get(user=member).city == "Mombasa"


def test_put_me_without_email_and_username_changes_only_what_is_sent(member_client, member):
    # DRF clients send a PUT with the changed fields only.
    last_name = member.last_name
    response = member_client.put_json(ME, {"first_name": "X"})
    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("X", last_name)


def test_patch_me_changes_only_what_is_sent(member_client, member):
    response = member_client.patch_json(ME, {"last_name": "Otieno", "profile": {"city": "Kisumu"}})

    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.email) == ("Mia", "Otieno", "mia@example.test")
    profile = Profile.objects.get(user=member)
    assert (profile.city, profile.timezone) == ("Kisumu", "UTC")


def test_patch_me_creates_a_missing_profile(user_client, user):
    response = user_client.patch_json(ME, {"profile": {"bio": "Hello"}})
    assert response.status_code == 200
    assert response.json()["profile"]["bio"] == "Hello"
    assert Profile.objects.get(user=user).bio == "Hello"


@pytest.mark.parametrize("change", [{"role": "admin"}, {"is_active": False}, {"role": "agent", "first_name": "Z"}])
def test_role_and_active_cannot_be_self_changed(member_client, member, change):
    response = member_client.patch_json(ME, change)

    assert response.status_code == 400
    assert response.json()["detail"] == "You cannot change your own role or active status."
    member.refresh_from_db()
    assert (member.role, member.is_active, member.first_name) == (Role.CUSTOMER, True, "Mia")


def test_sending_back_the_current_role_is_accepted(member_client, member):
    current = member_client.get(ME).json()
    writable = ("email", "username", "last_name", "phone", "role", "is_active")
    response = member_client.put_json(ME, {**{k: current[k] for k in writable}, "first_name": "Mira"})
    assert response.status_code == 200
    assert User.objects.get(pk=member.pk).first_name == "Mira"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "TAKEN@example.test"}, "email"),
        ({"username": "not an@example"}, "username"),
        ({"email": "nope"}, "email"),
        ({"profile": {"timezone": "Mars/Olympus"}}, "profile.timezone"),
        ({"profile": {"country": "Kenya"}}, "profile.country"),
        ({"profile": {"avatar_url": "javascript:alert(1)"}}, "profile.avatar_url"),
        ({"profile": {"date_of_birth": "2999-01-01"}}, "profile.date_of_birth"),
        ({"first_name": None}, "first_name"),
    ],
)
def test_me_refuses_bad_input(member_client, member, change, field):
    UserFactory(email="taken@example.test", username="taken")

    response = member_client.patch_json(ME, change)

    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    member.refresh_from_db()
    assert (member.email, member.username) == ("mia@example.test", "mia")


def test_me_needs_authentication(api_client):
    assert api_client.get(ME).status_code == 401
    assert api_client.patch_json(ME, {"first_name": "X"}).status_code == 401


@pytest.mark.parametrize("path", ["/api/auth/me", "/api/v1/accounts/profile/", "/api/accounts/profile"])
def test_me_aliases_read(member_client, member, path):
    response = member_client.get(path)
    assert response.status_code == 200
    assert response.json()["id"] == str(member.id)


def test_profile_put_alias(member_client, member):
    response = member_client.put_json("/api/v1/accounts/profile/", full_body(username="mia_put"))
    assert response.status_code == 200
    assert User.objects.get(pk=member.pk).username == "mia_put"


@pytest.mark.parametrize("method", ["patch_json", "put_json"])
def test_profile_update_alias(member_client, member, method):
    body = {"first_name": "Updated"} if method == "patch_json" else full_body(first_name="Updated")
    response = getattr(member_client, method)("/api/v1/accounts/profile/update/", body)
    assert response.status_code == 200
    assert User.objects.get(pk=member.pk).first_name == "Updated"


def test_me_reads_the_user_with_the_profile_in_one_query(member_client, django_assert_num_queries):
    # The user with the profile and company roles (the token check): no company to name.
    with django_assert_num_queries(1):
        body = member_client.get(ME).json()
    assert body["profile"]["timezone"] == "UTC"
    assert body["companies"] == []


def test_me_names_the_callers_companies_in_a_second_query(member, member_client, django_assert_num_queries):
    company = CompanyFactory(name="Savannah Homes")
    MembershipFactory(user=member, company=company, role=Role.AGENT)

    with django_assert_num_queries(2):  # the user with the profile and roles, the companies' names
        body = member_client.get(ME).json()

    assert body["companies"] == [{"id": str(company.id), "name": "Savannah Homes", "role": "agent"}]
