"""Branches (the back office's "stores"): public read, company-staff or admin write,
uniqueness of codes and headquarters, coordinates, soft delete."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from domus.organizations.models import Branch, Company
from domus.organizations.tests.factories import BranchFactory, CompanyFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/organizations/branches/"


def detail(branch) -> str:
    return f"{URL}{branch.id}/"


def new_branch(company, **fields) -> dict:
    return {"company_id": str(company.id), "name": "Alpha Karen", "code": "KRN", **fields}


def test_public_reads_active_branches_without_a_token(api_client, branch_a, branch_b, company_a):
    hidden = BranchFactory(company=company_a, is_active=False)

    listed = api_client.get(URL)
    one = api_client.get(detail(branch_a))

    assert listed.status_code == 200
    assert {b["id"] for b in listed.json()["results"]} == {str(branch_a.id), str(branch_b.id)}
    assert one.status_code == 200
    assert one.json()["company_name"] == "Alpha Homes"
    assert one.json()["latitude"] == pytest.approx(-1.286389)
    assert api_client.get(detail(hidden)).status_code == 404


def test_a_bad_token_is_still_401(api_client, branch_a):
    response = api_client.get(URL, headers={"Authorization": "Bearer nonsense"})

    assert response.status_code == 401


def test_branches_of_deleted_companies_are_hidden(api_client, admin_client, branch_a, company_a):
    Company.objects.filter(pk=company_a.pk).update(deleted_at=company_a.created_at)

    assert api_client.get(URL).json()["count"] == 0
    assert api_client.get(detail(branch_a)).status_code == 404
    assert admin_client.get(detail(branch_a)).status_code == 404


def test_staff_and_admin_see_inactive_branches(staff_a_client, staff_b_client, admin_client, company_a, company_b):
    inactive_a = BranchFactory(company=company_a, is_active=False)
    inactive_b = BranchFactory(company=company_b, is_active=False)

    def ids(client) -> set[str]:
        return {b["id"] for b in client.get(f"{URL}?is_active=false").json()["results"]}

    assert ids(staff_a_client) == {str(inactive_a.id)}
    assert ids(staff_b_client) == {str(inactive_b.id)}
    assert ids(admin_client) == {str(inactive_a.id), str(inactive_b.id)}
    assert staff_a_client.get(detail(inactive_a)).status_code == 200
    assert staff_a_client.get(detail(inactive_b)).status_code == 404


def test_an_agent_member_sees_only_active_branches(agent_a_client, company_a):
    BranchFactory(company=company_a, is_active=False)

    assert agent_a_client.get(URL).json()["count"] == 0


def test_list_filters_search_and_ordering(api_client, company_a, company_b):
    BranchFactory(company=company_a, name="Karen", code="K1", city="Nairobi", is_headquarters=True)
    BranchFactory(company=company_a, name="Nyali", code="N1", city="Mombasa", address="Links Road")
    BranchFactory(company=company_b, name="Eldoret Town", code="E1", city="Eldoret")

    def names(query: str) -> list[str]:
        response = api_client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [b["name"] for b in response.json()["results"]]

    assert names(f"company={company_a.id}") == ["Karen", "Nyali"]
    assert names("is_headquarters=true") == ["Karen"]
    assert names("city=mombasa") == ["Nyali"]
    assert names("search=links") == ["Nyali"]
    assert names("search=e1") == ["Eldoret Town"]
    assert names("ordering=-code") == ["Nyali", "Karen", "Eldoret Town"]
    assert api_client.get(f"{URL}?ordering=latitude").status_code == 400


def test_list_query_count_does_not_grow(api_client, staff_a_client, company_a, company_b, django_assert_num_queries):
    for company in (company_a, company_b, CompanyFactory()):
        BranchFactory.create_batch(3, company=company)
    BranchFactory(company=company_a, is_active=False)

    # the count and the page (companies joined)
    with django_assert_num_queries(2):
        public = api_client.get(URL)
    # plus the caller
    with django_assert_num_queries(3):
        staff = staff_a_client.get(URL)

    assert (public.json()["count"], staff.json()["count"]) == (9, 10)


def test_staff_creates_a_branch(staff_a_client, company_a, staff_a, audit_log):
    response = staff_a_client.post_json(
        URL, new_branch(company_a, latitude=-1.3197851234, longitude=36.7076, is_headquarters=True)
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["company_id"], body["code"], body["is_headquarters"], body["is_active"]) == (
        str(company_a.id),
        "KRN",
        True,
        True,
    )
    branch = Branch.objects.get(pk=body["id"])
    assert branch.latitude == Decimal("-1.319785")
    row = audit_log.objects.get(action="create", resource_id=str(branch.id))
    assert (row.company_id, row.actor_id, row.resource_type) == (company_a.id, staff_a.id, "organizations.branch")


def test_admin_creates_a_branch_for_any_company(admin_client, company_b):
    assert admin_client.post_json(URL, new_branch(company_b)).status_code == 201


def test_agent_member_cannot_write_branches(agent_a_client, company_a, branch_a):
    created = agent_a_client.post_json(URL, new_branch(company_a))
    patched = agent_a_client.patch_json(detail(branch_a), {"name": "Mine"})
    deleted = agent_a_client.delete(detail(branch_a))

    assert (created.status_code, patched.status_code, deleted.status_code) == (403, 403, 403)
    assert list(Branch.objects.values_list("name", flat=True)) == ["Alpha Westlands"]


def test_customer_cannot_write_branches(user_client, company_a, branch_a):
    assert user_client.post_json(URL, new_branch(company_a)).status_code == 404
    assert user_client.patch_json(detail(branch_a), {"name": "Mine"}).status_code == 403
    assert user_client.delete(detail(branch_a)).status_code == 403
    assert list(Branch.objects.values_list("name", flat=True)) == ["Alpha Westlands"]


def test_anonymous_cannot_write_branches(api_client, company_a, branch_a):
    assert api_client.post_json(URL, new_branch(company_a)).status_code == 401
    assert api_client.patch_json(detail(branch_a), {"name": "Mine"}).status_code == 401
    assert api_client.delete(detail(branch_a)).status_code == 401
    assert Branch.objects.get(pk=branch_a.pk).name == "Alpha Westlands"


def test_code_is_unique_per_company_among_live_branches(staff_a_client, staff_b_client, company_a, company_b, branch_a):
    duplicate = staff_a_client.post_json(URL, new_branch(company_a, code="WL"))
    other_company = staff_b_client.post_json(URL, new_branch(company_b, code="WL"))

    assert duplicate.status_code == 409
    assert "code" in duplicate.json()["errors"]
    assert other_company.status_code == 201

    assert staff_a_client.delete(detail(branch_a)).status_code == 204
    assert staff_a_client.post_json(URL, new_branch(company_a, code="WL")).status_code == 201


def test_renaming_a_code_onto_another_is_409(staff_a_client, company_a, branch_a):
    other = BranchFactory(company=company_a, code="CBD")

    response = staff_a_client.patch_json(detail(other), {"code": "WL"})

    assert response.status_code == 409
    other.refresh_from_db()
    assert other.code == "CBD"


def test_one_headquarters_per_company(staff_a_client, company_a, branch_a):
    Branch.objects.filter(pk=branch_a.pk).update(is_headquarters=True)
    other = BranchFactory(company=company_a)

    created = staff_a_client.post_json(URL, new_branch(company_a, is_headquarters=True))
    promoted = staff_a_client.patch_json(detail(other), {"is_headquarters": True})

    assert (created.status_code, promoted.status_code) == (409, 409)
    assert "already has a headquarters: Alpha Westlands (WL)" in created.json()["detail"]
    assert Branch.objects.filter(company=company_a, is_headquarters=True).count() == 1
    # moving the headquarters: unset the old one, then set the new one
    assert staff_a_client.patch_json(detail(branch_a), {"is_headquarters": False}).status_code == 200
    assert staff_a_client.patch_json(detail(other), {"is_headquarters": True}).status_code == 200


def test_headquarters_may_be_saved_again(staff_a_client, company_a):
    hq = BranchFactory(company=company_a, is_headquarters=True)

    response = staff_a_client.patch_json(detail(hq), {"is_headquarters": True, "phone": "+254722000000"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"latitude": 90.5}, {"latitude"}),
        ({"latitude": -91}, {"latitude"}),
        ({"longitude": 180.01}, {"longitude"}),
        ({"latitude": 100, "longitude": -200}, {"latitude", "longitude"}),
        ({"latitude": "north"}, {"latitude"}),
    ],
)
def test_coordinates_out_of_range_are_400(staff_a_client, company_a, fields, errors):
    response = staff_a_client.post_json(URL, new_branch(company_a, **fields))

    assert response.status_code == 400
    assert set(response.json()["errors"]) == errors
    assert not Branch.objects.exists()


def test_coordinates_out_of_range_on_update_are_400(staff_a_client, branch_a):
    response = staff_a_client.patch_json(detail(branch_a), {"longitude": 181})

    assert response.status_code == 400
    branch_a.refresh_from_db()
    assert branch_a.longitude == Decimal("36.817223")


def test_coordinates_may_be_cleared(staff_a_client, branch_a):
    response = staff_a_client.patch_json(detail(branch_a), {"latitude": None, "longitude": None})

    assert response.status_code == 200
    assert (response.json()["latitude"], response.json()["longitude"]) == (None, None)


@pytest.mark.parametrize(("field", "value"), [("latitude", 91), ("longitude", -181)])
def test_database_refuses_coordinates_out_of_range(company_a, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Branch.objects.create(company=company_a, name="Bad", code="BAD", **{field: value})


def test_database_refuses_a_second_headquarters_and_a_duplicate_code(company_a):
    BranchFactory(company=company_a, code="HQ", is_headquarters=True)

    with pytest.raises(IntegrityError), transaction.atomic():
        Branch.objects.create(company=company_a, name="Second HQ", code="HQ2", is_headquarters=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Branch.objects.create(company=company_a, name="Same code", code="HQ")


def test_put_replaces_the_given_fields(staff_a_client, branch_a, audit_log):
    response = staff_a_client.put_json(
        detail(branch_a), {"name": "Westlands Flagship", "code": "WL1", "is_active": False}
    )

    assert response.status_code == 200, response.content
    branch_a.refresh_from_db()
    assert (branch_a.name, branch_a.code, branch_a.is_active, branch_a.city) == (
        "Westlands Flagship",
        "WL1",
        False,
        "Nairobi",
    )
    row = audit_log.objects.get(action="update", resource_id=str(branch_a.id))
    assert row.changes["code"] == {"before": "WL", "after": "WL1"}
    assert row.company_id == branch_a.company_id


def test_put_needs_name_and_code(staff_a_client, branch_a):
    response = staff_a_client.put_json(detail(branch_a), {"city": "Thika"})

    assert response.status_code == 400
    assert {"name", "code"} <= set(response.json()["errors"])


def test_the_company_of_a_branch_does_not_change(staff_a_client, branch_a, company_b):
    response = staff_a_client.patch_json(detail(branch_a), {"company_id": str(company_b.id), "name": "Moved?"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"company_id": ["Unknown field."]}
    branch_a.refresh_from_db()
    assert branch_a.company_id != company_b.id
    assert branch_a.name != "Moved?"


def test_delete_is_soft_and_then_404_for_everyone(staff_a_client, admin_client, api_client, branch_a, audit_log):
    response = staff_a_client.delete(detail(branch_a))

    assert response.status_code == 204
    assert Branch.all_objects.get(pk=branch_a.pk).deleted_at is not None
    for client in (staff_a_client, admin_client, api_client):
        assert client.get(detail(branch_a)).status_code == 404
    assert staff_a_client.patch_json(detail(branch_a), {"name": "Back"}).status_code == 404
    assert staff_a_client.delete(detail(branch_a)).status_code == 404
    assert audit_log.objects.filter(action="delete", resource_id=str(branch_a.id)).count() == 1


def test_a_name_or_code_of_white_space_only_is_refused_as_blank(staff_a_client, branch_a):
    before = (branch_a.code, branch_a.name)

    response = staff_a_client.patch_json(detail(branch_a), {"code": "\x0b ", "name": "\u3000"})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "code": ["This field may not be blank."],
        "name": ["This field may not be blank."],
    }
    branch_a.refresh_from_db()
    assert (branch_a.code, branch_a.name) == before
