import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.maintenance.models import IssuePreset, Question, QuestionKind, Vendor
from domus.organizations.tests.factories import BranchFactory, CompanyFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    settings.RATE_LIMITS_ENABLED = False


@pytest.fixture
def company(db):
    return CompanyFactory()


@pytest.fixture
def branch(company):
    return BranchFactory(company=company)


@pytest.fixture
def staff(company):
    return MembershipFactory(company=company, role=Role.STAFF).user


@pytest.fixture
def technician(company, branch):
    return MembershipFactory(company=company, branch=branch, role=Role.AGENT, user__role=Role.AGENT).user


@pytest.fixture
def vendor_user(db):
    return UserFactory(role=Role.CUSTOMER)


@pytest.fixture
def vendor(company, vendor_user):
    return Vendor.objects.create(company=company, user=vendor_user, name="Pipes Ltd", trade="plumbing")


@pytest.fixture
def leak(db):
    return IssuePreset.objects.create(name="Leaking pipe", category="plumbing", default_priority="normal")


@pytest.fixture
def electrics_question(leak):
    return Question.objects.create(
        issue=leak, text="Water near electrics?", kind=QuestionKind.YES_NO, required=True, emergency_answer="yes"
    )
