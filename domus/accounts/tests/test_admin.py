"""The Django admin of the accounts models works for a superuser."""

import pytest
from django.test import Client

from domus.accounts.models import AccountToken, Profile, RefreshToken, User
from domus.accounts.tests.factories import AgentProfileFactory, ProfileFactory, UserFactory
from domus.accounts.tokens import issue_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(db):
    superuser = UserFactory(is_staff=True, is_superuser=True, email="boss@example.test", username="boss")
    client = Client()
    client.force_login(superuser)
    client.superuser = superuser
    return client


def test_every_accounts_admin_page_opens(superuser_client, registered):
    profile = ProfileFactory()
    agent_profile = AgentProfileFactory()
    issue_pair(profile.user)
    registered(email="new@example.test")
    pages = [
        "/admin/accounts/user/",
        "/admin/accounts/user/?deleted=yes",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{profile.user.pk}/change/",
        "/admin/accounts/profile/",
        f"/admin/accounts/profile/{profile.pk}/change/",
        "/admin/accounts/agentprofile/",
        f"/admin/accounts/agentprofile/{agent_profile.pk}/change/",
        "/admin/accounts/refreshtoken/",
        f"/admin/accounts/refreshtoken/{RefreshToken.objects.get().pk}/change/",
        "/admin/accounts/accounttoken/",
        f"/admin/accounts/accounttoken/{AccountToken.objects.get().pk}/change/",
    ]
    for page in pages:
        assert superuser_client.get(page).status_code == 200, page


def test_tokens_are_read_only_in_the_admin(superuser_client):
    assert superuser_client.get("/admin/accounts/refreshtoken/add/").status_code == 403
    assert superuser_client.get("/admin/accounts/accounttoken/add/").status_code == 403


def test_adding_a_user_in_the_admin_gives_them_a_profile_and_an_audit_row(superuser_client, audit_log):
    response = superuser_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Added@Example.test",
            "username": "added",
            "role": "staff",
            "usable_password": "true",
            "password1": "Admin-Made-Pass-1",
            "password2": "Admin-Made-Pass-1",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(username="added")
    assert (user.email, user.role) == ("added@example.test", "staff")
    assert Profile.objects.filter(user=user).exists()
    assert audit_log.objects.filter(
        action="create", resource_id=str(user.id), actor=superuser_client.superuser
    ).exists()


def test_the_admin_refuses_a_taken_email_ignoring_case(superuser_client):
    UserFactory(email="taken@example.test")
    response = superuser_client.post(
        "/admin/accounts/user/add/",
        {"email": "TAKEN@example.test", "username": "fresh", "role": "customer", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not User.objects.filter(username="fresh").exists()


def test_the_admin_soft_deletes_users(superuser_client):
    target = UserFactory()
    response = superuser_client.post(
        "/admin/accounts/user/",
        {"action": "soft_delete", "_selected_action": [str(target.pk), str(superuser_client.superuser.pk)]},
    )
    assert response.status_code == 302
    assert User.all_objects.get(pk=target.pk).deleted_at is not None
    assert User.all_objects.get(pk=superuser_client.superuser.pk).deleted_at is None


@pytest.mark.parametrize("term", ["0711 000 111", "+254711000111", "254711000111"])
def test_users_are_found_by_phone_in_any_spelling(superuser_client, term):
    UserFactory(email="phoned@example.com", phone="0711 000 111")  # stored as typed
    UserFactory(email="other@example.com", phone="+254722000999")

    page = superuser_client.get("/admin/accounts/user/", {"q": term}).content.decode()

    assert "phoned@example.com" in page
    assert "other@example.com" not in page


def test_deleted_users_are_marked_and_filterable(superuser_client):
    from django.utils import timezone

    UserFactory(email="live@example.com")
    gone = UserFactory(email="gone@example.com")
    User.all_objects.filter(pk=gone.pk).update(deleted_at=timezone.now(), is_active=False)

    deleted = superuser_client.get("/admin/accounts/user/", {"deleted": "yes"}).content.decode()
    live = superuser_client.get("/admin/accounts/user/", {"deleted": "no"}).content.decode()

    assert "gone@example.com" in deleted
    assert "live@example.com" not in deleted
    assert 'column-deleted"' in deleted
    assert "live@example.com" in live
    assert "gone@example.com" not in live
