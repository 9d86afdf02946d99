"""The tenancy helpers other apps scope their rows with."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import NotFound
from domus.core.roles import Role
from domus.organizations import selectors
from domus.organizations.models import Company
from domus.organizations.tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_company_ids_for_user_counts_active_memberships_of_live_companies():
    user = UserFactory(role=Role.AGENT)
    live = MembershipFactory(user=user, role=Role.AGENT).company
    MembershipFactory(user=user, is_active=False)
    deleted = MembershipFactory(user=user).company
    Company.objects.filter(pk=deleted.pk).update(deleted_at=deleted.created_at)

    assert selectors.company_ids_for_user(user) == {live.id}


def test_company_ids_for_anonymous_is_empty():
    from django.contrib.auth.models import AnonymousUser

    assert selectors.company_ids_for_user(AnonymousUser()) == set()


def test_company_exists_ignores_deleted_companies():
    company = CompanyFactory()
    assert selectors.company_exists(company.id)

    Company.objects.filter(pk=company.pk).update(deleted_at=company.created_at)
    assert not selectors.company_exists(company.id)


def test_user_sees_all_companies_only_as_platform_admin(admin_user, user):
    assert selectors.user_sees_all_companies(admin_user)
    assert not selectors.user_sees_all_companies(user)
    assert selectors.user_sees_all_companies(UserFactory(role=Role.CUSTOMER, is_superuser=True))


def test_user_company_role(company_a, staff_a, agent_a, staff_b):
    assert selectors.user_company_role(staff_a, company_a.id) == "staff"
    assert selectors.user_company_role(agent_a, company_a.id) == "agent"
    assert selectors.user_company_role(staff_b, company_a.id) is None


def test_company_get_for_actor_is_404_whether_missing_or_forbidden(company_a, staff_a, staff_b, admin_user):
    assert selectors.company_get_for_actor(actor=staff_a, company_id=company_a.id) == company_a
    assert selectors.company_get_for_actor(actor=admin_user, company_id=company_a.id) == company_a

    with pytest.raises(NotFound) as forbidden:
        selectors.company_get_for_actor(actor=staff_b, company_id=company_a.id)
    with pytest.raises(NotFound) as missing:
        selectors.company_get_for_actor(actor=admin_user, company_id=CompanyFactory.build().id)
    assert forbidden.value.detail == missing.value.detail
