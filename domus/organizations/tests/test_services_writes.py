"""The services other apps and the demo data call directly."""

from decimal import Decimal

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import Conflict, ValidationFailed
from domus.core.roles import Role
from domus.organizations import services
from domus.organizations.models import Company, Membership

pytestmark = pytest.mark.django_db


def test_company_create_by_the_system_has_no_member(audit_log):
    company = services.company_create(actor=None, name="  Demo Realty ", city="Nairobi", country="ke")

    assert (company.name, company.slug, company.country, company.created_by) == (
        "Demo Realty",
        "demo-realty",
        "KE",
        None,
    )
    assert not Membership.objects.filter(company=company).exists()
    row = audit_log.objects.get(action="create", resource_id=str(company.id))
    assert (row.actor_id, row.company_id) == (None, company.id)


def test_company_create_refuses_unknown_fields_and_a_status():
    with pytest.raises(ValidationFailed) as unknown:
        services.company_create(actor=None, name="X", colour="red")
    with pytest.raises(ValidationFailed) as status:
        services.company_create(actor=None, name="X", status=Company.Status.ACTIVE)

    assert "colour" in unknown.value.errors
    assert "status" in status.value.errors
    assert not Company.objects.exists()


def test_company_update_saves_only_the_given_fields(company_a, staff_a):
    # a concurrent onboarding step moved the status after our copy was read
    Company.objects.filter(pk=company_a.pk).update(status=Company.Status.SUBMITTED)

    services.company_update(actor=staff_a, company=company_a, city="Kisumu")

    company_a.refresh_from_db()
    assert (company_a.city, company_a.status) == ("Kisumu", "submitted")


def test_membership_create_refuses_platform_admin_role(company_a, admin_user):
    with pytest.raises(ValidationFailed):
        services.membership_create(actor=admin_user, company=company_a, user=UserFactory(), role=Role.ADMIN)


def test_membership_create_refuses_duplicates(company_a, staff_a, admin_user):
    with pytest.raises(Conflict):
        services.membership_create(actor=admin_user, company=company_a, user=staff_a, role=Role.AGENT)


def test_branch_create_with_the_brief_signature(company_a, admin_user):
    branch = services.branch_create(
        actor=admin_user, company=company_a, name="Mombasa Road", code="MSA", latitude=-1.32, longitude=36.9
    )

    assert branch.company == company_a
    branch.refresh_from_db()
    assert (branch.latitude, branch.longitude) == (Decimal("-1.320000"), Decimal("36.900000"))


def test_branch_create_refuses_coordinates_out_of_range(company_a, admin_user):
    with pytest.raises(ValidationFailed) as error:
        services.branch_create(actor=admin_user, company=company_a, name="Pole", code="NP", latitude=95)

    assert set(error.value.errors) == {"latitude"}


def test_company_onboard_with_the_brief_signature(company_a, admin_user):
    company = services.company_onboard(actor=admin_user, company=company_a, step="submit", note="")

    assert company.status == Company.Status.SUBMITTED
