"""Users CRUD for platform admins: filters, permissions, soft delete, aliases."""

import pytest

from domus.accounts.models import Profile, RefreshToken, User
from domus.accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from domus.core.exceptions import ErrorCode
from domus.core.roles import Role

USERS = "/api/v1/accounts/users/"
LOGIN = "/api/v1/accounts/auth/token/"

pytestmark = pytest.mark.django_db


def url(user) -> str:
    return f"{USERS}{user.id}/"


def snapshot() -> list[tuple]:
    return list(
        User.all_objects.order_by("pk").values_list(
            "pk", "email", "username", "role", "is_active", "deleted_at", "first_name", "updated_at"
        )
    )


# Listing -----------------------------------------------------------------------------


@pytest.fixture
def people(admin_user):
    return {
        "ann": UserFactory(
            username="ann", email="ann@acme.test", first_name="Ann", last_name="Wanjiru", role=Role.AGENT
        ),
        "ben": UserFactory(username="ben", email="ben@example.test", first_name="Ben", role=Role.OWNER),
        "cy": UserFactory(username="cy", email="cy@example.test", first_name="Cy", role=Role.AGENT, is_active=False),
    }


def usernames(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [u["username"] for u in response.json()["results"]]


def test_admins_list_users_with_filters_search_and_ordering(admin_client, people):
    assert usernames(admin_client.get(f"{USERS}?ordering=username")) == ["ann", "ben", "cy", "root"]
    assert usernames(admin_client.get(f"{USERS}?role=agent&ordering=-username")) == ["cy", "ann"]
    assert usernames(admin_client.get(f"{USERS}?role=agent&is_active=true")) == ["ann"]
    assert usernames(admin_client.get(f"{USERS}?search=wanjiru")) == ["ann"]
    assert usernames(admin_client.get(f"{USERS}?search=ACME")) == ["ann"]
    page = admin_client.get(f"{USERS}?ordering=username&limit=2&offset=1").json()
    assert (page["count"], [u["username"] for u in page["results"]]) == (4, ["ben", "cy"])


@pytest.mark.parametrize("query", ["ordering=password", "role=wizard", "is_active=maybe"])
def test_bad_list_parameters_are_a_400(admin_client, query):
    response = admin_client.get(f"{USERS}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == ErrorCode.VALIDATION_ERROR


def test_deleted_users_vanish_from_the_list(admin_client, people):
    admin_client.delete(url(people["ben"]))
    assert "ben" not in usernames(admin_client.get(USERS))


def test_the_users_list_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries):
    UserFactory.create_batch(15)
    # the caller, the count, the page
    with django_assert_num_queries(3):
        response = admin_client.get(USERS)
    assert len(response.json()["results"]) == 16


# Create, read, update ----------------------------------------------------------------


def test_admins_create_a_user_of_any_role(admin_client, admin_user, api_client, audit_log):
    body = {"email": "Staff@Acme.test", "password": "Staff-Pass-2024!", "role": "staff", "first_name": "Sam"}

    response = admin_client.post_json(USERS, body)

    assert response.status_code == 201, response.content
    created = User.objects.get(pk=response.json()["id"])
    assert (created.email, created.username, created.role, created.is_active) == (
        "staff@acme.test",
        "staff",
        "staff",
        True,
    )
    assert Profile.objects.filter(user=created).exists()
    assert api_client.post_json(LOGIN, {"email": "staff@acme.test", "password": "Staff-Pass-2024!"}).status_code == 200
    row = audit_log.objects.get(action="create", resource_type="accounts.user", resource_id=str(created.id))
    assert row.actor_id == admin_user.id
    assert "password" not in row.changes


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "x@example.test", "password": "123"}, 400, "password"),
        ({"email": "root@example.test", "password": "Staff-Pass-2024!"}, 409, "email"),
        ({"email": "x@example.test", "password": "Staff-Pass-2024!", "username": "ROOT"}, 409, "username"),
        ({"email": "x@example.test", "password": "Staff-Pass-2024!", "role": "king"}, 400, "role"),
    ],
)
def test_create_user_refusals(admin_client, body, status, field):
    before = snapshot()
    response = admin_client.post_json(USERS, body)
    assert response.status_code == status
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_admins_read_and_replace_a_user(admin_client, people, audit_log):
    ben = people["ben"]
    assert admin_client.get(url(ben)).json()["email"] == "ben@example.test"
    body = {"email": "benji@example.test", "username": "benji", "role": "tenant", "first_name": "Benji"}

    response = admin_client.put_json(url(ben), body)

    assert response.status_code == 200, response.content
    ben.refresh_from_db()
    assert (ben.email, ben.username, ben.role, ben.first_name, ben.last_name, ben.is_active) == (
        "benji@example.test",
        "benji",
        "tenant",
        "Benji",
        "",
        True,
    )
    row = audit_log.objects.get(action="update", resource_id=str(ben.id))
    assert row.changes["role"] == {"before": "owner", "after": "tenant"}


def test_admins_patch_role_and_deactivation_signs_the_user_out(admin_client, people, client_for, login, api_client):
    ann = people["ann"]
    session = login(ann)

    response = admin_client.patch_json(url(ann), {"role": "staff", "is_active": False})

    assert response.status_code == 200
    ann.refresh_from_db()
    assert (ann.role, ann.is_active) == ("staff", False)
    assert not RefreshToken.objects.filter(user=ann, revoked_at__isnull=True).exists()
    assert (
        api_client.post_json("/api/v1/accounts/auth/token/refresh/", {"refresh": session["refresh"]}).status_code == 401
    )
    assert client_for(ann).get("/api/v1/accounts/me/").status_code == 401


def test_patch_to_a_taken_email_is_a_conflict_naming_the_field(admin_client, people):
    response = admin_client.patch_json(url(people["ann"]), {"email": "BEN@example.test"})
    assert response.status_code == 409
    assert response.json()["errors"]["email"] == ["A user with this e-mail already exists."]


@pytest.mark.parametrize("change", [{"role": "customer"}, {"is_active": False}])
def test_admins_cannot_demote_or_deactivate_themselves(admin_client, admin_user, change):
    before = snapshot()
    response = admin_client.patch_json(url(admin_user), change)
    assert response.status_code == 409
    assert response.json()["code"] == ErrorCode.CONFLICT_ERROR
    assert snapshot() == before


def test_unknown_user_is_a_404(admin_client):
    missing = "01900000-0000-7000-8000-000000000000"
    assert admin_client.get(f"{USERS}{missing}/").status_code == 404
    assert admin_client.patch_json(f"{USERS}{missing}/", {"first_name": "x"}).status_code == 404
    assert admin_client.delete(f"{USERS}{missing}/").status_code == 404


# Delete ------------------------------------------------------------------------------


def test_delete_is_soft_and_the_user_can_no_longer_log_in(
    admin_client, admin_user, people, api_client, login, audit_log
):
    ben = people["ben"]
    session = login(ben)

    response = admin_client.delete(url(ben))

    assert response.status_code == 204
    row = User.all_objects.get(pk=ben.pk)
    assert row.deleted_at is not None
    assert not row.is_active
    assert not RefreshToken.objects.filter(user=ben, revoked_at__isnull=True).exists()
    assert admin_client.get(url(ben)).status_code == 404
    assert admin_client.delete(url(ben)).status_code == 404
    login_again = api_client.post_json(LOGIN, {"username": "ben", "password": DEFAULT_PASSWORD})
    assert login_again.status_code == 401
    assert (
        api_client.get("/api/v1/accounts/me/", headers={"Authorization": f"Bearer {session['access']}"}).status_code
        == 401
    )
    assert audit_log.objects.filter(action="delete", resource_id=str(ben.id), actor=admin_user).exists()


def test_a_user_cannot_delete_themself(admin_client, admin_user):
    before = snapshot()

    response = admin_client.delete(url(admin_user))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "You cannot delete your own account.",
        "code": ErrorCode.CONFLICT_ERROR,
        "errors": {},
    }
    assert snapshot() == before


# Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.AGENT, Role.OWNER, Role.TENANT, Role.STAFF])
def test_non_admins_are_refused_everything_and_nothing_changes(client_for, people, audit_log, role):
    caller = UserFactory(role=role)
    client = client_for(caller)
    target = people["ben"]
    before, audit_rows = snapshot(), audit_log.objects.count()

    answers = [
        client.get(USERS),
        client.post_json(USERS, {"email": "new@example.test", "password": "Staff-Pass-2024!", "role": "admin"}),
        client.get(url(target)),
        client.put_json(url(target), {"email": "x@example.test", "username": "x", "role": "admin"}),
        client.patch_json(url(target), {"role": "admin"}),
        client.patch_json(url(caller), {"role": "admin"}),
        client.delete(url(target)),
        client.delete(url(caller)),
    ]

    assert [a.status_code for a in answers] == [403] * len(answers)
    assert all(a.json()["code"] == ErrorCode.PERMISSION_ERROR for a in answers)
    assert snapshot() == before
    assert audit_log.objects.count() == audit_rows


def test_anonymous_callers_get_a_401(api_client, people):
    assert api_client.get(USERS).status_code == 401
    assert api_client.delete(url(people["ben"])).status_code == 401


# The original systems' aliases --------------------------------------------------------


def test_the_users_aliases(admin_client, people):
    ann = people["ann"]
    assert "ann" in usernames(admin_client.get("/api/users"))
    assert admin_client.get(f"/api/users/{ann.id}").json()["id"] == str(ann.id)
    assert admin_client.patch_json(f"/api/users/{ann.id}", {"first_name": "Annie"}).status_code == 200
    assert User.objects.get(pk=ann.pk).first_name == "Annie"
    assert (
        admin_client.put_json(
            f"/api/v1/accounts/users/{ann.id}", {"email": ann.email, "username": "ann", "role": "agent"}
        ).status_code
        == 200
    )
    assert admin_client.delete(f"/api/users/{ann.id}").status_code == 204
    assert User.all_objects.get(pk=ann.pk).deleted_at is not None
