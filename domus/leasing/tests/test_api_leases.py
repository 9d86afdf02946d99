from datetime import date

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.leasing.models import Lease, LeaseStatus, RentPeriod
from domus.leasing.tests.factories import LeaseFactory


def _body(listing, unit, tenant, **extra):
    return {
        "listing_id": str(listing.id),
        "unit_id": str(unit.id),
        "tenant_id": str(tenant.id),
        "start_date": "2026-01-01",
        "end_date": "2026-06-30",
        "rent_amount": "45000.00",
        "billing_day": 5,
        "late_fee_type": "percent",
        "late_fee_value": "5",
        **extra,
    }


@pytest.mark.django_db
def test_staff_drafts_a_lease_and_it_is_audited(client_for, staff, listing, unit, tenant, audit_log):
    response = client_for(staff).post_json("/api/v1/leasing/leases/", _body(listing, unit, tenant))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["owner_id"] == str(listing.owner_id)
    assert body["company_id"] == str(listing.company_id)
    assert audit_log.objects.filter(action="create", resource_id=body["id"]).exists()


@pytest.mark.django_db
def test_a_tenant_cannot_draft_a_lease(client_for, listing, unit, tenant):
    response = client_for(tenant).post_json("/api/v1/leasing/leases/", _body(listing, unit, tenant))

    assert response.status_code in (403, 404)
    assert not Lease.objects.exists()


@pytest.mark.django_db
def test_end_before_start_is_a_400(client_for, staff, listing, unit, tenant):
    response = client_for(staff).post_json(
        "/api/v1/leasing/leases/", _body(listing, unit, tenant, end_date="2025-01-01")
    )

    assert response.status_code == 400
    assert "end_date" in response.json()["errors"]
    assert not Lease.objects.exists()


@pytest.mark.django_db
def test_activation_builds_the_schedule_and_marks_the_unit_rented(client_for, staff, listing, unit, tenant):
    lease = LeaseFactory(
        listing=listing, unit=unit, tenant=tenant, start_date=date(2026, 1, 1), end_date=date(2026, 6, 30)
    )

    response = client_for(staff).post(f"/api/v1/leasing/leases/{lease.id}/activate/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    unit.refresh_from_db()
    assert unit.status == "rented"
    schedule = client_for(tenant).get(f"/api/v1/leasing/leases/{lease.id}/schedule/").json()
    assert schedule["count"] == 6
    first = schedule["results"][0]
    assert (first["period_start"], first["period_end"], first["due_date"]) == ("2026-01-01", "2026-01-31", "2026-01-05")
    assert schedule["results"][-1]["period_end"] == "2026-06-30"


@pytest.mark.django_db
def test_activating_twice_is_a_409(client_for, staff, listing, unit):
    lease = LeaseFactory(listing=listing, unit=unit)
    client = client_for(staff)
    assert client.post(f"/api/v1/leasing/leases/{lease.id}/activate/").status_code == 200

    assert client.post(f"/api/v1/leasing/leases/{lease.id}/activate/").status_code == 409
    assert RentPeriod.objects.filter(lease=lease).count() == 12


@pytest.mark.django_db
def test_an_overlapping_active_lease_on_the_unit_is_refused(client_for, staff, listing, unit):
    first = LeaseFactory(listing=listing, unit=unit)
    second = LeaseFactory(listing=listing, unit=unit, start_date=date(2026, 6, 1), end_date=date(2027, 5, 31))
    client = client_for(staff)
    assert client.post(f"/api/v1/leasing/leases/{first.id}/activate/").status_code == 200

    response = client.post(f"/api/v1/leasing/leases/{second.id}/activate/")

    assert response.status_code == 409
    second.refresh_from_db()
    assert second.status == LeaseStatus.DRAFT
    assert not RentPeriod.objects.filter(lease=second).exists()


@pytest.mark.django_db
def test_only_company_staff_activate(client_for, listing, unit, tenant):
    lease = LeaseFactory(listing=listing, unit=unit, tenant=tenant)

    assert client_for(tenant).post(f"/api/v1/leasing/leases/{lease.id}/activate/").status_code == 403
    lease.refresh_from_db()
    assert lease.status == LeaseStatus.DRAFT


@pytest.mark.django_db
def test_strangers_do_not_see_leases(client_for, listing, unit):
    lease = LeaseFactory(listing=listing, unit=unit)
    stranger = client_for(UserFactory())

    assert stranger.get(f"/api/v1/leasing/leases/{lease.id}/").status_code == 404
    assert stranger.get("/api/v1/leasing/leases/").json()["count"] == 0


@pytest.mark.django_db
def test_lease_list_query_count_is_flat(client_for, staff, listing, django_assert_num_queries):
    for _ in range(3):
        LeaseFactory(listing=listing)
    client = client_for(staff)
    client.get("/api/v1/leasing/leases/")

    # session user (with memberships and roles), count, page: the same for any page size
    with django_assert_num_queries(3):
        response = client.get("/api/v1/leasing/leases/")

    assert response.json()["count"] == 3


@pytest.mark.django_db
def test_terminate_frees_the_unit_and_drops_future_periods(client_for, staff, listing, unit):
    lease = LeaseFactory(listing=listing, unit=unit)
    client = client_for(staff)
    client.post(f"/api/v1/leasing/leases/{lease.id}/activate/")

    response = client.post_json(
        f"/api/v1/leasing/leases/{lease.id}/terminate/", {"reason": "Tenant moved out", "on": "2026-03-15"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "terminated"
    assert RentPeriod.objects.filter(lease=lease).count() == 3
    unit.refresh_from_db()
    assert unit.status == "available"


@pytest.mark.django_db
def test_only_drafts_are_edited(client_for, staff, listing, unit):
    lease = LeaseFactory(listing=listing, unit=unit)
    client = client_for(staff)
    assert client.patch_json(f"/api/v1/leasing/leases/{lease.id}/", {"grace_days": 3}).json()["grace_days"] == 3
    client.post(f"/api/v1/leasing/leases/{lease.id}/activate/")

    assert client.patch_json(f"/api/v1/leasing/leases/{lease.id}/", {"grace_days": 9}).status_code == 409


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("end_date", "9999-12-31"), ("start_date", "9000-01-01")])
def test_a_lease_past_the_maximum_term_is_a_400_naming_the_field(
    client_for, staff, listing, unit, tenant, field, value
):
    extra = {field: value, "end_date": "9000-06-30"} if field == "start_date" else {field: value}

    response = client_for(staff).post_json("/api/v1/leasing/leases/", _body(listing, unit, tenant, **extra))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert "99 years" in response.json()["errors"][field][0]
    assert not Lease.objects.exists()


@pytest.mark.django_db
def test_the_maximum_term_is_a_setting(client_for, staff, listing, unit, tenant, settings):
    settings.LEASE_MAX_TERM_YEARS = 1

    response = client_for(staff).post_json(
        "/api/v1/leasing/leases/", _body(listing, unit, tenant, end_date="2027-06-30")
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["end_date"]
