"""The original systems' own paths (the management system's /companies, the back office's
/stores) reach the same operations."""

import pytest

from domus.organizations.models import Branch, Company
from domus.organizations.tests.factories import BranchFactory

pytestmark = pytest.mark.django_db


def test_management_system_companies(staff_a_client, admin_client, company_a):
    listed = staff_a_client.get("/api/v1/companies/")
    created = staff_a_client.post_json("/api/v1/companies/", {"name": "Created Through Alias"})
    read = staff_a_client.get(f"/api/v1/companies/{company_a.id}/")
    put = staff_a_client.put_json(f"/api/v1/companies/{company_a.id}/", {"name": "Alpha Renamed"})
    onboard = staff_a_client.post_json(f"/api/v1/companies/{company_a.id}/onboard/", {})
    unversioned = staff_a_client.get("/api/companies")

    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["results"]] == [str(company_a.id)]
    assert created.status_code == 201
    assert read.json()["id"] == str(company_a.id)
    assert put.json()["name"] == "Alpha Renamed"
    assert onboard.status_code == 200
    assert onboard.json()["status"] == "submitted"
    assert unversioned.json()["count"] == 2

    draft_id = created.json()["id"]
    assert staff_a_client.delete(f"/api/v1/companies/{draft_id}/").status_code == 204
    assert not Company.objects.filter(pk=draft_id).exists()
    assert admin_client.delete(f"/api/companies/{company_a.id}").status_code == 204


def test_back_office_stores(api_client, staff_a_client, company_a, branch_a):
    inactive = BranchFactory(company=company_a, is_active=False)

    public = api_client.get("/api/stores")
    hq_filter = api_client.get("/api/stores?is_headquarters=false")
    created = staff_a_client.post_json(
        "/api/stores", {"company_id": str(company_a.id), "name": "Alpha Thika", "code": "THK"}
    )
    store_id = created.json()["id"]
    read = api_client.get(f"/api/stores/{store_id}")
    put = staff_a_client.put_json(f"/api/stores/{store_id}", {"name": "Alpha Thika Road", "code": "THK"})
    patch = staff_a_client.patch_json(f"/api/stores/{store_id}/", {"is_headquarters": True})
    deleted = staff_a_client.delete(f"/api/stores/{store_id}")

    assert [b["id"] for b in public.json()["results"]] == [str(branch_a.id)]
    assert hq_filter.json()["count"] == 1
    assert api_client.get(f"/api/stores/{inactive.id}").status_code == 404
    assert created.status_code == 201
    assert read.json()["name"] == "Alpha Thika"
    assert put.json()["name"] == "Alpha Thika Road"
    assert patch.json()["is_headquarters"] is True
    assert deleted.status_code == 204
    assert Branch.all_objects.get(pk=store_id).deleted_at is not None
    assert api_client.get(f"/api/stores/{store_id}").status_code == 404
