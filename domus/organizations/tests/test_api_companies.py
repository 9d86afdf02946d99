"""Companies CRUD: who may list, create, read, change and delete them."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.models import Company, Membership
from domus.organizations.schemas import CompanyIn
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

URL = "/api/v1/organizations/companies/"

pytestmark = pytest.mark.django_db


def detail(company) -> str:
    return f"{URL}{company.id}/"


def test_list_shows_only_the_callers_companies(staff_a_client, company_a, company_b, staff_b):
    CompanyFactory()  # a company nobody in this test belongs to

    response = staff_a_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [c["id"] for c in body["results"]] == [str(company_a.id)]


def test_list_hides_companies_of_inactive_memberships(client_for, company_a):
    membership = MembershipFactory(company=company_a, role=Role.AGENT, is_active=False)

    response = client_for(membership.user).get(URL)

    assert response.json()["count"] == 0


def test_platform_admin_lists_every_company(admin_client, company_a, company_b):
    response = admin_client.get(URL)

    assert {c["id"] for c in response.json()["results"]} == {str(company_a.id), str(company_b.id)}


def test_list_filters_search_and_ordering(admin_client):
    CompanyFactory(name="Zebra Lettings", legal_name="Zebra Holdings", city="Mombasa", status=Company.Status.ACTIVE)
    CompanyFactory(name="Apex Homes", legal_name="Apex Ltd", city="Nairobi", country="UG", status=Company.Status.DRAFT)
    CompanyFactory(name="Mango Realty", legal_name="Zebra Subsidiary", city="nairobi", status=Company.Status.DRAFT)

    def names(query: str) -> list[str]:
        response = admin_client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [c["name"] for c in response.json()["results"]]

    assert names("status=active") == ["Zebra Lettings"]
    assert names("country=ug") == ["Apex Homes"]
    assert names("city=Nairobi&ordering=name") == ["Apex Homes", "Mango Realty"]
    assert names("search=zebra&ordering=-name") == ["Zebra Lettings", "Mango Realty"]
    assert names("ordering=name") == ["Apex Homes", "Mango Realty", "Zebra Lettings"]


def test_list_refuses_unknown_ordering_and_status(admin_client):
    assert admin_client.get(f"{URL}?ordering=slug").status_code == 400
    assert admin_client.get(f"{URL}?status=bogus").status_code == 400


def test_list_needs_a_token(api_client):
    assert api_client.get(URL).status_code == 401


def test_list_query_count_does_not_grow(client_for, django_assert_num_queries):
    user = UserFactory(role=Role.STAFF)
    for _ in range(5):
        MembershipFactory(user=user)
    client = client_for(user)

    # the caller, the count, the page
    with django_assert_num_queries(3):
        response = client.get(URL)

    assert response.json()["count"] == 5


@pytest.mark.parametrize("role", [Role.STAFF, Role.OWNER, Role.AGENT])
def test_creator_becomes_staff_member(client_for, audit_log, role):
    creator = UserFactory(role=role)

    response = client_for(creator).post_json(URL, {"name": "Savannah Homes", "city": "Nakuru", "country": "ke"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "savannah-homes"
    assert body["status"] == "draft"
    assert body["country"] == "KE"
    company = Company.objects.get(pk=body["id"])
    assert company.created_by == creator
    membership = Membership.objects.get(company=company)
    assert (membership.user, membership.role, membership.is_active) == (creator, Role.STAFF, True)
    create_rows = audit_log.objects.filter(action="create", company_id=company.id)
    assert set(create_rows.values_list("resource_type", flat=True)) == {
        "organizations.company",
        "organizations.membership",
    }


def test_admin_creates_without_becoming_member(admin_client, admin_user):
    response = admin_client.post_json(URL, {"name": "Admin Made"})

    assert response.status_code == 201
    assert not Membership.objects.filter(user=admin_user).exists()


def test_slug_is_unique_even_against_deleted_companies(admin_client):
    CompanyFactory(name="Coast Homes", slug="coast-homes")
    deleted = CompanyFactory(name="Coast Homes", slug="coast-homes-2")
    deleted.deleted_at = deleted.created_at
    deleted.save()

    first = admin_client.post_json(URL, {"name": "Coast Homes"}).json()
    second = admin_client.post_json(URL, {"name": "Coast   Homes!"}).json()
    symbols = admin_client.post_json(URL, {"name": "***"}).json()

    assert (first["slug"], second["slug"], symbols["slug"]) == ("coast-homes-3", "coast-homes-4", "company")


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.TENANT])
def test_customers_and_tenants_cannot_create(client_for, role):
    response = client_for(UserFactory(role=role)).post_json(URL, {"name": "Nope"})

    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_ERROR"
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "website": "nope"}, "website"),
        ({"name": "X", "country": "KEN"}, "country"),
        ({"name": "X", "currency": "K"}, "currency"),
        ({"name": "X", "status": "active"}, "status"),
    ],
)
def test_create_validates_input(admin_client, payload, field):
    response = admin_client.post_json(URL, payload)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Company.objects.exists()


def test_member_reads_company(agent_a_client, company_a):
    response = agent_a_client.get(detail(company_a))

    assert response.status_code == 200
    assert response.json()["name"] == "Alpha Homes"


def test_non_member_gets_404(staff_b_client, company_a):
    response = staff_b_client.get(detail(company_a))

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND_ERROR"


def test_staff_updates_with_put_and_patch(staff_a_client, staff_a, company_a, audit_log):
    put = staff_a_client.put_json(detail(company_a), {"name": "Alpha Homes Group", "city": "Kisumu"})
    patch = staff_a_client.patch_json(detail(company_a), {"website": "https://alpha.example.test"})

    assert put.status_code == 200, put.content
    assert patch.status_code == 200, patch.content
    company_a.refresh_from_db()
    assert (company_a.name, company_a.city, company_a.website) == (
        "Alpha Homes Group",
        "Kisumu",
        "https://alpha.example.test",
    )
    assert company_a.slug == patch.json()["slug"]  # the slug never follows the name
    assert company_a.legal_name == "Alpha Homes Ltd"  # fields left out of a PUT keep their value
    update = audit_log.objects.filter(action="update", resource_id=str(company_a.id)).order_by("created_at").first()
    assert update.company_id == company_a.id
    assert update.actor_id == staff_a.id
    assert update.changes["name"] == {"before": "Alpha Homes", "after": "Alpha Homes Group"}


def test_status_is_not_writable(staff_a_client, company_a):
    response = staff_a_client.patch_json(detail(company_a), {"status": "active", "name": "Renamed"})

    assert response.status_code == 400
    assert "status" in response.json()["errors"]
    company_a.refresh_from_db()
    assert (company_a.status, company_a.name) == ("draft", "Alpha Homes")


def test_sending_back_the_current_status_is_accepted(staff_a_client, company_a):
    current = staff_a_client.get(detail(company_a)).json()
    writable = {k: v for k, v in current.items() if k in CompanyIn.model_fields}

    response = staff_a_client.put_json(detail(company_a), {**writable, "name": "Alpha Prime"})

    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_patch_refuses_null_for_text_fields(staff_a_client, company_a):
    response = staff_a_client.patch_json(detail(company_a), {"city": None})

    assert response.status_code == 400
    company_a.refresh_from_db()
    assert company_a.city == "Nairobi"


def test_agent_member_cannot_update(agent_a_client, company_a):
    response = agent_a_client.patch_json(detail(company_a), {"name": "Hijacked"})

    assert response.status_code == 403
    company_a.refresh_from_db()
    assert company_a.name == "Alpha Homes"


def test_admin_updates_any_company(admin_client, company_b):
    response = admin_client.patch_json(detail(company_b), {"phone": "+254711111111"})

    assert response.status_code == 200
    company_b.refresh_from_db()
    assert company_b.phone == "+254711111111"


def test_staff_deletes_a_draft_company(staff_a_client, company_a, audit_log):
    response = staff_a_client.delete(detail(company_a))

    assert response.status_code == 204
    assert not Company.objects.filter(pk=company_a.pk).exists()
    assert Company.all_objects.get(pk=company_a.pk).deleted_at is not None
    assert staff_a_client.get(detail(company_a)).status_code == 404
    assert audit_log.objects.filter(action="delete", company_id=company_a.id).count() == 1


def test_staff_cannot_delete_a_company_past_draft(staff_a_client, company_a):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.SUBMITTED)

    response = staff_a_client.delete(detail(company_a))

    assert response.status_code == 403
    assert Company.objects.filter(pk=company_a.pk).exists()


def test_agent_cannot_delete(agent_a_client, company_a):
    assert agent_a_client.delete(detail(company_a)).status_code == 403
    assert Company.objects.filter(pk=company_a.pk).exists()


def test_admin_deletes_an_active_company(admin_client, company_a, staff_a_client):
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.ACTIVE)

    assert admin_client.delete(detail(company_a)).status_code == 204
    assert admin_client.get(detail(company_a)).status_code == 404
    assert staff_a_client.get(URL).json()["count"] == 0
