"""A member of company A can neither see nor change anything of company B (404 where B
is private, 403 where it is public like an active branch), and B is unchanged after."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.organizations.models import Branch, Company, Membership

pytestmark = pytest.mark.django_db

ORG = "/api/v1/organizations"


def snapshot_of(company) -> dict:
    return {
        "company": list(Company.all_objects.filter(pk=company.pk).values()),
        "members": list(Membership.objects.filter(company=company).order_by("pk").values()),
        "branches": list(Branch.all_objects.filter(company=company).order_by("pk").values()),
    }


@pytest.fixture
def company_b_world(company_b, staff_b, branch_b, audit_log):
    inactive = Branch.objects.create(company=company_b, name="Beta Hidden", code="HID", is_active=False)
    return {"company": company_b, "staff": staff_b, "branch": branch_b, "inactive": inactive}


def test_company_a_staff_cannot_touch_company_b(staff_a_client, company_a, company_b_world, audit_log):
    company_b = company_b_world["company"]
    membership_b = Membership.objects.get(company=company_b)
    branch_b, inactive_b = company_b_world["branch"], company_b_world["inactive"]
    outsider = UserFactory()
    before = snapshot_of(company_b)
    audit_rows = audit_log.objects.count()
    company_url = f"{ORG}/companies/{company_b.id}/"

    listed = staff_a_client.get(f"{ORG}/companies/").json()
    assert [c["id"] for c in listed["results"]] == [str(company_a.id)]
    assert staff_a_client.get(f"{ORG}/companies/?search=Beta").json()["count"] == 0

    refusals = {
        "read": staff_a_client.get(company_url),
        "put": staff_a_client.put_json(company_url, {"name": "Taken over"}),
        "patch": staff_a_client.patch_json(company_url, {"name": "Taken over"}),
        "delete": staff_a_client.delete(company_url),
        "onboard": staff_a_client.post_json(f"{company_url}onboard/", {"step": "submit"}),
        "members list": staff_a_client.get(f"{company_url}members/"),
        "members add": staff_a_client.post_json(
            f"{company_url}members/", {"user_id": str(outsider.id), "role": "staff"}
        ),
        "member read": staff_a_client.get(f"{ORG}/members/{membership_b.id}/"),
        "member patch": staff_a_client.patch_json(f"{ORG}/members/{membership_b.id}/", {"role": "agent"}),
        "member delete": staff_a_client.delete(f"{ORG}/members/{membership_b.id}/"),
        "branch create": staff_a_client.post_json(
            f"{ORG}/branches/", {"company_id": str(company_b.id), "name": "Sneaky", "code": "SNK"}
        ),
        "hidden branch read": staff_a_client.get(f"{ORG}/branches/{inactive_b.id}/"),
        "hidden branch patch": staff_a_client.patch_json(f"{ORG}/branches/{inactive_b.id}/", {"name": "X"}),
        "hidden branch delete": staff_a_client.delete(f"{ORG}/branches/{inactive_b.id}/"),
    }
    assert {name: r.status_code for name, r in refusals.items()} == dict.fromkeys(refusals, 404)

    public_branch = {
        "put": staff_a_client.put_json(f"{ORG}/branches/{branch_b.id}/", {"name": "X", "code": "X"}),
        "patch": staff_a_client.patch_json(f"{ORG}/branches/{branch_b.id}/", {"is_active": False}),
        "delete": staff_a_client.delete(f"{ORG}/branches/{branch_b.id}/"),
    }
    assert {name: r.status_code for name, r in public_branch.items()} == dict.fromkeys(public_branch, 403)

    assert snapshot_of(company_b) == before
    assert audit_log.objects.count() == audit_rows


def test_an_inactive_membership_grants_nothing(client_for, company_a, staff_a):
    membership = Membership.objects.get(user=staff_a)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    client = client_for(staff_a)
    before = snapshot_of(company_a)

    assert client.get(f"{ORG}/companies/{company_a.id}/").status_code == 404
    assert client.patch_json(f"{ORG}/companies/{company_a.id}/", {"name": "X"}).status_code == 404
    assert client.post_json(f"{ORG}/companies/{company_a.id}/onboard/", {}).status_code == 404
    assert snapshot_of(company_a) == before


def test_platform_admin_sees_and_manages_every_company(admin_client, company_a, company_b_world):
    company_b = company_b_world["company"]

    listed = {c["id"] for c in admin_client.get(f"{ORG}/companies/").json()["results"]}
    branches = {b["id"] for b in admin_client.get(f"{ORG}/branches/?company={company_b.id}").json()["results"]}

    assert listed == {str(company_a.id), str(company_b.id)}
    assert branches == {str(company_b_world["branch"].id), str(company_b_world["inactive"].id)}
    assert admin_client.get(f"{ORG}/companies/{company_b.id}/members/").json()["count"] == 1
    assert admin_client.patch_json(f"{ORG}/companies/{company_b.id}/", {"city": "Kisumu"}).status_code == 200
