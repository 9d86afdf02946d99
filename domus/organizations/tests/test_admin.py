"""The back office lists every model, soft-deleted rows included."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.models import Branch, Company
from domus.organizations.tests.factories import BranchFactory, CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


def test_changelists_show_deleted_rows(superuser_client):
    company = CompanyFactory(name="Gone Realty")
    Company.objects.filter(pk=company.pk).update(deleted_at=company.created_at)
    branch = BranchFactory(name="Closed Branch")
    Branch.objects.filter(pk=branch.pk).update(deleted_at=branch.created_at)
    MembershipFactory(company=company)

    companies = superuser_client.get("/admin/organizations/company/")
    branches = superuser_client.get("/admin/organizations/branch/?deleted=yes")
    memberships = superuser_client.get("/admin/organizations/membership/?q=Gone")

    assert companies.status_code == 200
    assert b"Gone Realty" in companies.content
    assert branches.status_code == 200
    assert b"Closed Branch" in branches.content
    assert memberships.status_code == 200
    assert memberships.context["cl"].result_count == 1


def test_change_pages_open(superuser_client):
    membership = MembershipFactory(branch=BranchFactory())

    for url in (
        f"/admin/organizations/company/{membership.company_id}/change/",
        f"/admin/organizations/branch/{membership.branch_id}/change/",
        f"/admin/organizations/membership/{membership.id}/change/",
        "/admin/organizations/company/?status=draft&deleted=no&q=acme",
    ):
        assert superuser_client.get(url).status_code == 200, url
