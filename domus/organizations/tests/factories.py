import factory
from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.core.roles import Role
from domus.organizations.models import Branch, Company, Membership


class CompanyFactory(factory.django.DjangoModelFactory):
    """An active company (onboarding done) with complete details; pass
    ``status=Company.Status.DRAFT`` for one still in onboarding."""

    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Acme Realty {n}")
    slug = factory.Sequence(lambda n: f"acme-realty-{n}")
    legal_name = factory.LazyAttribute(lambda c: f"{c.name} Ltd")
    registration_number = factory.Sequence(lambda n: f"PVT-{n:06d}")
    email = factory.Sequence(lambda n: f"office{n}@acme.example.test")
    phone = "+254700000000"
    address = "1 Kenyatta Avenue"
    city = "Nairobi"
    country = "KE"
    status = Company.Status.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")
    code = factory.Sequence(lambda n: f"BR{n:03d}")
    address = "2 Moi Avenue"
    city = "Nairobi"
    latitude = "-1.286389"
    longitude = "36.817223"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory, role=Role.STAFF)
    company = factory.SubFactory(CompanyFactory)
    role = Role.STAFF
