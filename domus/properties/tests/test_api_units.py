"""Units of a listing, at /properties/{id}/units/ and the management system's /projects/{id}/units/:
read like their listing, written by the listing's managers."""

import pytest

from domus.properties.models import Unit
from domus.properties.tests.conftest import URL
from domus.properties.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

UNIT = {"unit_number": "A-101", "floor": 1, "unit_type": "2BR", "bedrooms": 2, "bathrooms": 1, "price": "45000"}


def units(listing, prefix: str = URL) -> str:
    return f"{prefix}{listing.id}/units/"


def test_units_through_the_management_systems_projects(client_for, owner, published_a, api_client, audit_log):
    client = client_for(owner)

    created = client.post_json(units(published_a, "/api/v1/projects/"), UNIT)
    listed = api_client.get(units(published_a, "/api/v1/projects/"))

    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["unit_number"], body["status"], body["price"], body["listing_id"]) == (
        "A-101",
        "available",
        "45000.00",
        str(published_a.id),
    )
    assert [u["id"] for u in listed.json()["results"]] == [body["id"]]
    assert audit_log.objects.filter(action="create", resource_id=body["id"]).exists()


def test_unit_detail_patch_and_delete(client_for, owner, published_a, audit_log):
    unit = UnitFactory(listing=published_a, unit_number="B-1")
    client = client_for(owner)
    path = f"/api/v1/projects/{published_a.id}/units/{unit.id}/"

    assert client.get(path).json()["unit_number"] == "B-1"
    patched = client.patch_json(path, {"status": "reserved", "price": "50000"})
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["price"]) == ("reserved", "50000.00")
    assert client.delete(path).status_code == 204
    assert not Unit.objects.filter(pk=unit.pk).exists()
    assert audit_log.objects.filter(action="delete", resource_id=str(unit.id)).exists()


def test_unit_numbers_are_unique_per_listing(client_for, owner, published_a):
    client = client_for(owner)
    UnitFactory(listing=published_a, unit_number="A-101")
    other = UnitFactory(listing=published_a, unit_number="A-102")

    duplicate = client.post_json(units(published_a), UNIT)
    renamed = client.patch_json(f"{units(published_a)}{other.id}/", {"unit_number": "A-101"})

    assert duplicate.status_code == renamed.status_code == 409
    assert "unit_number" in duplicate.json()["errors"]
    assert Unit.objects.filter(listing=published_a).count() == 2
    assert Unit.objects.get(pk=other.pk).unit_number == "A-102"


def test_the_same_number_is_fine_in_another_listing(client_for, owner, published_a, draft_a):
    UnitFactory(listing=draft_a, unit_number="A-101")

    assert client_for(owner).post_json(units(published_a), UNIT).status_code == 201


def test_strangers_cannot_write_units(client_for, customer, staff_b, published_a, audit_log):
    unit = UnitFactory(listing=published_a, unit_number="C-1")
    for actor in (customer, staff_b):
        client = client_for(actor)
        assert client.post_json(units(published_a), UNIT).status_code == 403
        assert client.patch_json(f"{units(published_a)}{unit.id}/", {"status": "sold"}).status_code == 403
        assert client.delete(f"{units(published_a)}{unit.id}/").status_code == 403
    assert list(Unit.objects.values_list("unit_number", "status")) == [("C-1", "available")]
    assert not audit_log.objects.filter(resource_type="properties.unit").exists()


def test_units_of_a_draft_are_hidden_from_the_public(api_client, client_for, staff_a, draft_a):
    unit = UnitFactory(listing=draft_a)

    assert api_client.get(units(draft_a)).status_code == 404
    assert api_client.get(f"{units(draft_a)}{unit.id}/").status_code == 404
    assert client_for(staff_a).get(units(draft_a)).json()["count"] == 1


def test_a_unit_of_another_listing_is_not_found(client_for, owner, published_a, draft_a):
    unit = UnitFactory(listing=draft_a)

    response = client_for(owner).patch_json(f"{units(published_a)}{unit.id}/", {"status": "sold"})

    assert response.status_code == 404
    assert Unit.objects.get(pk=unit.pk).status == "available"


def test_bad_unit_input_is_a_400(client_for, owner, published_a):
    client = client_for(owner)

    for body in ({**UNIT, "status": "haunted"}, {**UNIT, "price": "-1"}, {"floor": 2}):
        assert client.post_json(units(published_a), body).status_code == 400
    assert Unit.objects.count() == 0
