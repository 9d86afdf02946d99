"""Listing CRUD: who may read drafts, who may create and change listings, the management
system's body, the name alias, maps_url, soft delete and the audit trail."""

from decimal import Decimal

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.tests.factories import MembershipFactory
from domus.properties.models import Listing, PriceChange
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import FeatureFactory, ListingFactory

pytestmark = pytest.mark.django_db

REMS_BODY = {
    "name": "Sunset Apartments",
    "description": "Luxury apartment complex",
    "address": "123 Sunset Blvd",
    "city": "Los Angeles",
    "state": "CA",
    "zip_code": "90210",
    "property_type": "apartment",
    "total_units": 50,
    "price": 2500000.00,
}


def detail(listing) -> str:
    return f"{URL}{listing.id}/"


# Reading ----------------------------------------------------------------------------------


def test_anyone_reads_a_published_listing(api_client, published_a):
    response = api_client.get(detail(published_a))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(published_a.id)
    assert body["title"] == body["name"] == "Sunset Apartments"
    assert body["price"] == "250000.00"
    assert body["allowed_next_statuses"] == ["under_offer", "rented", "sold", "draft", "archived"]


def test_drafts_are_invisible_to_the_public(api_client, user_client, staff_b, client_for, draft_a, published_a):
    for client in (api_client, user_client, client_for(staff_b)):
        assert client.get(detail(draft_a)).status_code == 404
        listed = client.get(URL).json()
        assert [item["id"] for item in listed["results"]] == [str(published_a.id)]


def test_published_but_archived_listings_are_hidden_from_the_public(api_client):
    archived = ListingFactory(status="archived", is_published=True)

    assert api_client.get(detail(archived)).status_code == 404


@pytest.mark.parametrize("who", ["owner", "agent", "staff", "admin"])
def test_drafts_are_visible_to_owner_agent_company_staff_and_admin(
    who, client_for, draft_a, owner, agent_a, staff_a, admin_user
):
    draft_a.agent = agent_a
    draft_a.save()
    reader = {"owner": owner, "agent": agent_a, "staff": staff_a, "admin": admin_user}[who]

    response = client_for(reader).get(detail(draft_a))

    assert response.status_code == 200
    assert client_for(reader).get(URL).json()["count"] == 1


def test_company_agents_do_not_see_drafts_they_are_not_assigned(client_for, draft_a, agent_a):
    assert client_for(agent_a).get(detail(draft_a)).status_code == 404


def test_deleted_listings_are_gone(api_client, admin_client, published_a):
    published_a.deleted_at = published_a.created_at
    published_a.save()

    assert api_client.get(detail(published_a)).status_code == 404
    assert admin_client.get(detail(published_a)).status_code == 404


def test_unknown_id_is_404_in_the_error_shape(api_client):
    response = api_client.get(f"{URL}01234567-89ab-7def-8123-456789abcdef/")

    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND_ERROR"


def test_maps_url_from_coordinates_else_address(api_client):
    with_coordinates = ListingFactory(latitude=Decimal("-1.286389"), longitude=Decimal("36.817223"))
    by_address = ListingFactory(address="12 Ngong Road", city="Nairobi", country="KE")

    assert api_client.get(detail(with_coordinates)).json()["maps_url"] == (
        "https://www.google.com/maps/search/?api=1&query=-1.286389%2C36.817223"
    )
    assert api_client.get(detail(by_address)).json()["maps_url"] == (
        "https://www.google.com/maps/search/?api=1&query=12+Ngong+Road%2C+Nairobi%2C+KE"
    )


# Creating ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/projects/", "/api/v1/properties/", "/api/v1/projects"])
def test_the_management_systems_body_creates_a_draft_owned_by_the_caller(path, client_for, owner, audit_log):
    response = client_for(owner).post_json(path, REMS_BODY)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == body["title"] == "Sunset Apartments"
    assert body["price"] == "2500000.00"
    assert body["total_units"] == 50
    assert (body["status"], body["is_published"], body["currency"]) == ("draft", False, "KES")
    assert body["owner_id"] == str(owner.id)
    assert body["maps_url"].endswith("query=123+Sunset+Blvd%2C+Los+Angeles%2C+CA%2C+90210")
    listing = Listing.objects.get(pk=body["id"])
    assert (listing.title, listing.city, listing.zip_code) == ("Sunset Apartments", "Los Angeles", "90210")
    assert list(PriceChange.objects.filter(listing=listing).values_list("old_price", "new_price")) == [
        (None, Decimal("2500000.00"))
    ]
    assert audit_log.objects.filter(action="create", resource_id=str(listing.id)).exists()


def test_the_created_listing_is_readable_through_the_projects_alias(client_for, owner):
    created = client_for(owner).post_json("/api/v1/projects/", REMS_BODY).json()

    response = client_for(owner).get(f"/api/v1/projects/{created['id']}/")

    assert response.status_code == 200
    assert response.json()["name"] == "Sunset Apartments"


def test_create_with_company_takes_its_currency_and_features(staff_a_client, company_a, staff_a):
    FeatureFactory(name="Parking", slug="parking")
    FeatureFactory(name="Pool", slug="pool")
    body = {**REMS_BODY, "company_id": str(company_a.id), "features": ["pool", "parking"], "status": "available"}

    response = staff_a_client.post_json(URL, body)

    assert response.status_code == 201, response.content
    assert response.json()["currency"] == "USD"
    assert response.json()["features"] == ["parking", "pool"]
    assert response.json()["company_id"] == str(company_a.id)


def test_title_wins_over_name_and_one_of_them_is_required(client_for, owner):
    client = client_for(owner)
    both = client.post_json(URL, {**REMS_BODY, "title": "The Title"})
    neither = client.post_json(URL, {k: v for k, v in REMS_BODY.items() if k not in ("name", "address", "city")})

    assert both.json()["title"] == "The Title"
    assert neither.status_code == 400
    assert set(neither.json()["errors"]) == {"title"}
    assert Listing.objects.count() == 1


def test_without_title_or_name_the_address_and_city_are_the_title(client_for, owner):
    response = client_for(owner).post_json(URL, {k: v for k, v in REMS_BODY.items() if k != "name"})

    assert response.status_code == 201, response.content
    assert response.json()["title"] == "123 Sunset Blvd, Los Angeles"


@pytest.mark.parametrize("role", [Role.CUSTOMER, Role.TENANT])
def test_customers_and_tenants_cannot_create(role, client_for):
    response = client_for(UserFactory(role=role)).post_json(URL, REMS_BODY)

    assert response.status_code == 403
    assert response.json()["code"] == "PERMISSION_ERROR"
    assert Listing.all_objects.count() == 0
    assert PriceChange.objects.count() == 0


def test_anonymous_cannot_create(api_client):
    assert api_client.post_json(URL, REMS_BODY).status_code == 401
    assert Listing.all_objects.count() == 0


@pytest.mark.parametrize("role", [Role.OWNER, Role.AGENT, Role.STAFF, Role.ADMIN])
def test_owners_agents_staff_and_admins_create(role, client_for):
    assert client_for(UserFactory(role=role)).post_json(URL, REMS_BODY).status_code == 201


def test_create_for_a_company_the_caller_does_not_belong_to_is_refused(staff_a_client, company_b):
    response = staff_a_client.post_json(URL, {**REMS_BODY, "company_id": str(company_b.id)})

    assert response.status_code == 404
    assert "company_id" in response.json()["errors"]
    assert Listing.all_objects.count() == 0


def test_admins_create_for_any_company(admin_client, company_b):
    response = admin_client.post_json(URL, {**REMS_BODY, "company_id": str(company_b.id)})

    assert response.status_code == 201
    assert response.json()["company_id"] == str(company_b.id)


def test_the_create_schema_offers_only_the_starting_statuses(api_client):
    schema = api_client.get("/api/v1/schema/").json()
    body = schema["paths"]["/api/v1/properties/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    create = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    offered = [member for member in create["properties"]["status"]["anyOf"] if member.get("enum")]
    assert offered[0]["enum"] == ["draft", "available"]


def test_create_refuses_bad_input_with_field_errors(client_for, owner):
    client = client_for(owner)
    cases = [
        ({"price": -1}, "price"),
        ({"latitude": 91, "longitude": 10}, "latitude"),
        ({"longitude": 181, "latitude": 10}, "longitude"),
        ({"property_type": "castle"}, "property_type"),
        ({"currency": "shillings"}, "currency"),
        ({"status": "sold"}, "status"),
        ({"latitude": 1}, "latitude"),
        ({"features": ["no-such-feature"]}, "features"),
    ]
    for extra, field in cases:
        response = client.post_json(URL, {**REMS_BODY, **extra})
        assert response.status_code == 400, (extra, response.content)
        assert field in response.json()["errors"], (extra, response.json())
    not_an_agent = client.post_json(URL, {**REMS_BODY, "agent_id": str(owner.id)})
    assert not_an_agent.status_code == 404  # no agent has this id
    assert "agent_id" in not_an_agent.json()["errors"]
    assert Listing.all_objects.count() == 0


def test_agent_must_be_a_member_of_the_listings_company(staff_a_client, company_a, agent_a):
    outsider = UserFactory(role=Role.AGENT)
    body = {**REMS_BODY, "company_id": str(company_a.id)}

    refused = staff_a_client.post_json(URL, {**body, "agent_id": str(outsider.id)})
    accepted = staff_a_client.post_json(URL, {**body, "agent_id": str(agent_a.id)})

    assert refused.status_code == 404
    assert accepted.status_code == 201
    assert accepted.json()["agent_id"] == str(agent_a.id)


# Changing -------------------------------------------------------------------------------------


def test_the_crms_patch_updates_metadata_pricing_and_status(client_for, owner, published_a, audit_log):
    response = client_for(owner).patch_json(
        f"/api/v1/properties/{published_a.id}", {"title": "Sunset Towers", "price": 260000, "status": "under_offer"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["price"], body["status"]) == ("Sunset Towers", "260000.00", "under_offer")
    published_a.refresh_from_db()
    assert (published_a.title, published_a.status) == ("Sunset Towers", "under_offer")
    row = audit_log.objects.get(action="update", resource_id=str(published_a.id))
    assert row.changes["status"] == {"before": "available", "after": "under_offer"}


def test_put_replaces_the_given_fields(client_for, owner, published_a):
    response = client_for(owner).put_json(detail(published_a), {**REMS_BODY, "name": "Renamed"})

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["city"] == "Los Angeles"


@pytest.mark.parametrize("who", ["owner", "agent", "staff", "branch_head", "admin"])
def test_managers_may_change_a_listing(who, client_for, company_a, draft_a, owner, agent_a, staff_a, admin_user):
    draft_a.agent = agent_a
    draft_a.save()
    branch_head = MembershipFactory(company=company_a, role=Role.BRANCH_HEAD).user
    actor = {"owner": owner, "agent": agent_a, "staff": staff_a, "branch_head": branch_head, "admin": admin_user}[who]

    response = client_for(actor).patch_json(detail(draft_a), {"description": f"by {who}"})

    assert response.status_code == 200, response.content
    assert Listing.objects.get(pk=draft_a.pk).description == f"by {who}"


def test_another_companys_staff_cannot_change_a_published_listing(client_for, staff_b, published_a, audit_log):
    client = client_for(staff_b)

    patch = client.patch_json(detail(published_a), {"price": 1, "title": "Hijacked"})
    delete = client.delete(detail(published_a))

    assert patch.status_code == delete.status_code == 403
    published_a.refresh_from_db()
    assert (published_a.title, published_a.price, published_a.deleted_at) == (
        "Sunset Apartments",
        Decimal("250000.00"),
        None,
    )
    assert PriceChange.objects.filter(listing=published_a).count() == 0
    assert not audit_log.objects.filter(resource_id=str(published_a.id)).exists()


def test_another_companys_staff_cannot_find_a_draft_to_change(client_for, staff_b, draft_a):
    response = client_for(staff_b).patch_json(detail(draft_a), {"title": "Hijacked"})

    assert response.status_code == 404
    assert Listing.objects.get(pk=draft_a.pk).title == "Hidden Draft"


def test_customers_and_unassigned_agents_cannot_change(client_for, customer, agent_a, published_a):
    for actor in (customer, agent_a):
        assert client_for(actor).patch_json(detail(published_a), {"title": "Nope"}).status_code == 403
    assert Listing.objects.get(pk=published_a.pk).title == "Sunset Apartments"


def test_moving_to_another_company_needs_membership(client_for, owner, staff_a, company_b, published_a):
    response = client_for(staff_a).patch_json(detail(published_a), {"company_id": str(company_b.id)})

    assert response.status_code == 404
    assert Listing.objects.get(pk=published_a.pk).company_id == published_a.company_id


def test_null_is_refused_for_required_fields(client_for, owner, published_a):
    response = client_for(owner).patch_json(detail(published_a), {"title": None, "price": None})

    assert response.status_code == 400
    assert set(response.json()["errors"]) >= {"title", "price"}


def test_publishing_stamps_published_at_and_unpublishing_clears_it(client_for, owner, draft_a):
    client = client_for(owner)
    client.patch_json(detail(draft_a), {"status": "available"})

    published = client.patch_json(detail(draft_a), {"is_published": True}).json()
    unpublished = client.patch_json(detail(draft_a), {"is_published": False}).json()

    assert published["published_at"] is not None
    assert unpublished["published_at"] is None


def test_features_are_replaced_and_audited(client_for, owner, published_a, audit_log):
    FeatureFactory(name="Garden", slug="garden")
    FeatureFactory(name="Gym", slug="gym")

    response = client_for(owner).patch_json(detail(published_a), {"features": ["gym", "garden"]})

    assert response.json()["features"] == ["garden", "gym"]
    row = audit_log.objects.get(action="set_features", resource_id=str(published_a.id))
    assert row.changes == {"features": {"before": [], "after": ["garden", "gym"]}}


# Deleting -------------------------------------------------------------------------------------


def test_delete_is_soft_and_audited(client_for, owner, published_a, api_client, audit_log):
    response = client_for(owner).delete(detail(published_a))

    assert response.status_code == 204
    assert not Listing.objects.filter(pk=published_a.pk).exists()
    assert Listing.all_objects.get(pk=published_a.pk).deleted_at is not None
    assert api_client.get(detail(published_a)).status_code == 404
    assert audit_log.objects.filter(action="delete", resource_id=str(published_a.id)).exists()


def test_the_mpesa_backends_put_and_delete_on_the_canonical_path(client_for, owner, published_a):
    client = client_for(owner)

    assert client.put_json(f"/api/v1/properties/{published_a.id}/", REMS_BODY).status_code == 200
    assert client.delete(f"/api/v1/projects/{published_a.id}/").status_code == 204
