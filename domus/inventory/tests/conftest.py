import pytest

from domus.organizations.tests.factories import BranchFactory, CompanyFactory


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def branch_a(company):
    return BranchFactory(company=company, name="Branch A")


@pytest.fixture
def branch_b(company):
    return BranchFactory(company=company, name="Branch B")
