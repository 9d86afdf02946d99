"""The audit log API: who may read it, every filter, both pagination styles, one
entry, and that nothing can write through it."""

import uuid
from datetime import UTC, datetime

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.audit.models import AuditLog
from domus.audit.tests.factories import AuditLogFactory
from domus.core.roles import Role

URL = "/api/v1/audit/logs/"

pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def rows(admin_user):
    """Four entries on four days, by two actors, about two companies."""
    agent = UserFactory(role=Role.AGENT, email="agent@example.test")
    company_a, company_b = uuid.uuid4(), uuid.uuid4()
    return {
        "create_company": AuditLogFactory(
            created_at=at(1),
            actor=admin_user,
            action="create",
            resource_type="organizations.company",
            resource_id=str(company_a),
            company_id=company_a,
        ),
        "update_company": AuditLogFactory(
            created_at=at(2),
            actor=agent,
            action="update",
            resource_type="organizations.company",
            resource_id=str(company_a),
            company_id=company_a,
        ),
        "create_listing": AuditLogFactory(
            created_at=at(3),
            actor=agent,
            action="create",
            resource_type="properties.listing",
            resource_id="listing-42",
            company_id=company_b,
        ),
        "login": AuditLogFactory(
            created_at=at(4),
            actor=None,
            action="auth.login_failed",
            resource_type="accounts.user",
            resource_id="7",
        ),
        "agent": agent,
    }


def test_anonymous_callers_get_a_401(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "AUTHENTICATION_ERROR"


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.STAFF, Role.AGENT, Role.OWNER])
def test_everyone_but_platform_admins_gets_a_403(client_for, rows, role):
    client = client_for(UserFactory(role=role))
    before = AuditLog.objects.count()

    for path in (URL, f"{URL}{rows['login'].id}/", f"{URL}export/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["code"] == "PERMISSION_ERROR"
    assert AuditLog.objects.count() == before


def test_superusers_read_it_whatever_their_role(client_for, rows):
    response = client_for(UserFactory(role=Role.CUSTOMER, is_superuser=True)).get(URL)

    assert response.json()["count"] == 4


def test_admins_list_every_entry_newest_first(admin_client, rows, admin_user):
    response = admin_client.get(URL)

    body = response.json()
    assert body["count"] == 4
    assert ids(response) == [str(rows[k].id) for k in ("login", "create_listing", "update_company", "create_company")]
    oldest = body["results"][-1]
    assert oldest == {
        "id": str(rows["create_company"].id),
        "created_at": "2025-03-01T12:00:00Z",
        "actor_id": str(admin_user.id),
        "actor_repr": admin_user.email,
        "action": "create",
        "resource_type": "organizations.company",
        "resource_id": rows["create_company"].resource_id,
        "company_id": str(rows["create_company"].company_id),
        "changes": {"name": {"before": "Old", "after": "New"}},
        "ip_address": "203.0.113.7",
        "user_agent": "pytest",
        "request_id": rows["create_company"].request_id,
    }


def test_filter_by_resource_type(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?resource_type=organizations.company")) == [
        str(rows["update_company"].id),
        str(rows["create_company"].id),
    ]


def test_filter_by_resource_id(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?resource_id=listing-42")) == [str(rows["create_listing"].id)]


def test_filter_by_action(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?action=create")) == [
        str(rows["create_listing"].id),
        str(rows["create_company"].id),
    ]


def test_filter_by_actor(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?user_id={rows['agent'].id}")) == [
        str(rows["create_listing"].id),
        str(rows["update_company"].id),
    ]
    assert ids(admin_client.get(f"{URL}?user_id={uuid.uuid4()}")) == []


def test_filter_by_company(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?company_id={rows['create_listing'].company_id}")) == [
        str(rows["create_listing"].id)
    ]


def test_filter_by_dates_takes_whole_days(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?start_date=2025-03-02&end_date=2025-03-03")) == [
        str(rows["create_listing"].id),
        str(rows["update_company"].id),
    ]
    assert ids(admin_client.get(f"{URL}?start_date=2025-03-04")) == [str(rows["login"].id)]
    assert ids(admin_client.get(f"{URL}?end_date=2025-03-01")) == [str(rows["create_company"].id)]


def test_filter_by_datetimes_is_exact(admin_client, rows):
    response = admin_client.get(f"{URL}?start_date=2025-03-02T12:00:01Z&end_date=2025-03-04T12:00:00%2B00:00")

    assert ids(response) == [str(rows["login"].id), str(rows["create_listing"].id)]


def test_start_after_end_is_a_400(admin_client, rows):
    response = admin_client.get(f"{URL}?start_date=2025-03-04&end_date=2025-03-01")

    assert response.status_code == 400
    assert "end_date" in response.json()["errors"]


def test_updated_filters_mean_created_for_rows_that_never_change(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?updated_after=2025-03-04")) == [str(rows["login"].id)]
    assert ids(admin_client.get(f"{URL}?created_before=2025-03-01")) == [str(rows["create_company"].id)]


def test_search_looks_in_actor_resource_id_and_action(admin_client, rows):
    assert set(ids(admin_client.get(f"{URL}?search=AGENT@example"))) == {
        str(rows["update_company"].id),
        str(rows["create_listing"].id),
    }
    assert ids(admin_client.get(f"{URL}?search=listing-4")) == [str(rows["create_listing"].id)]
    assert ids(admin_client.get(f"{URL}?search=login_failed")) == [str(rows["login"].id)]


def test_ordering_by_each_allowed_field(admin_client, rows):
    assert ids(admin_client.get(f"{URL}?ordering=created_at"))[0] == str(rows["create_company"].id)
    by_action = admin_client.get(f"{URL}?ordering=action,-created_at").json()["results"]
    assert [row["action"] for row in by_action] == ["auth.login_failed", "create", "create", "update"]
    assert by_action[1]["id"] == str(rows["create_listing"].id)
    by_type = admin_client.get(f"{URL}?ordering=-resource_type").json()["results"]
    assert [row["resource_type"] for row in by_type] == [
        "properties.listing",
        "organizations.company",
        "organizations.company",
        "accounts.user",
    ]


def test_unknown_ordering_field_is_a_400(admin_client, rows):
    response = admin_client.get(f"{URL}?ordering=changes")

    assert response.status_code == 400
    assert "ordering" in response.json()["errors"]


@pytest.mark.parametrize(
    "query", ["user_id=not-a-uuid", "start_date=yesterday", "end_date=2025-13-01", "company_id=1", "limit=0"]
)
def test_malformed_filters_are_field_errors(admin_client, query):
    response = admin_client.get(f"{URL}?{query}")

    assert response.status_code == 400
    field = query.split("=")[0]
    errors = response.json()["errors"]
    # a date-or-datetime field reports each form it failed (keyed "...start_date.date" / ".datetime")
    assert errors
    assert all(field in key.split(".") for key in errors)


def test_skip_and_limit_page_through_the_log(admin_client, rows):
    response = admin_client.get(f"{URL}?skip=1&limit=2")

    body = response.json()
    assert body["count"] == 4
    assert ids(response) == [str(rows["create_listing"].id), str(rows["update_company"].id)]
    assert "limit=2" in body["next"]
    assert "offset=3" in body["next"]
    assert "offset=0" in body["previous"]
    assert ids(admin_client.get(f"{URL}?skip=3&limit=2")) == [str(rows["create_company"].id)]


def test_page_and_page_size_work_too(admin_client, rows):
    response = admin_client.get(f"{URL}?page=2&page_size=3")

    body = response.json()
    assert (body["page"], body["total_pages"], body["next"]) == (2, 2, None)
    assert ids(response) == [str(rows["create_company"].id)]


def test_a_page_costs_three_queries(admin_client, admin_user, django_assert_num_queries):
    AuditLogFactory.create_batch(30, actor=admin_user)

    # the caller, the count, the page
    with django_assert_num_queries(3):
        response = admin_client.get(f"{URL}?limit=25")

    assert len(response.json()["results"]) == 25


def test_detail(admin_client, rows):
    entry = rows["update_company"]

    response = admin_client.get(f"{URL}{entry.id}/")

    assert response.status_code == 200
    assert response.json()["id"] == str(entry.id)
    assert response.json()["actor_repr"] == "agent@example.test"


def test_unknown_entry_is_a_404_and_a_malformed_id_a_400(admin_client):
    missing = admin_client.get(f"{URL}{uuid.uuid4()}/")
    malformed = admin_client.get(f"{URL}42/")

    assert missing.status_code == 404
    assert missing.json()["code"] == "NOT_FOUND_ERROR"
    assert malformed.status_code == 400
    assert "log_id" in malformed.json()["errors"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_there_is_no_write_route(admin_client, rows, method):
    entry = rows["login"]

    for path in (URL, f"{URL}{entry.id}/"):
        response = getattr(admin_client, method)(path, data="{}", content_type="application/json")
        assert response.status_code == 405, (method, path)
    entry.refresh_from_db()
    assert entry.action == "auth.login_failed"
    assert AuditLog.objects.count() == 4


@pytest.mark.parametrize("path", ["/api/logs/", "/api/logs", "/api/v1/logs/", "/api/audit/logs", "/api/v1/audit/logs"])
def test_original_paths_list_the_same_log(admin_client, rows, path):
    assert ids(admin_client.get(f"{path}?action=create")) == [
        str(rows["create_listing"].id),
        str(rows["create_company"].id),
    ]


@pytest.mark.parametrize("form", ["/api/logs/{}/", "/api/logs/{}", "/api/v1/logs/{}/"])
def test_original_paths_read_one_entry(admin_client, rows, form):
    entry = rows["create_listing"]

    response = admin_client.get(form.format(entry.id))

    assert response.status_code == 200
    assert response.json()["id"] == str(entry.id)


def test_original_paths_refuse_non_admins_too(user_client, rows):
    assert user_client.get("/api/logs/").status_code == 403
    assert user_client.get(f"/api/logs/{rows['login'].id}").status_code == 403
