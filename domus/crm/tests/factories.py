import factory

from domus.crm.models import Client, Lead, LeadSource, LeadStatus
from domus.organizations.tests.factories import CompanyFactory


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    company = factory.SubFactory(CompanyFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"client{n}@example.test")
    phone = factory.Sequence(lambda n: f"+25471{n:07d}")


class LeadFactory(factory.django.DjangoModelFactory):
    """A new, manually entered lead of a fresh company (pass ``company=`` to share one)."""

    class Meta:
        model = Lead

    company = factory.SubFactory(CompanyFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"lead{n}@example.test")
    phone = factory.Sequence(lambda n: f"+25472{n:07d}")
    source = LeadSource.MANUAL
    status = LeadStatus.NEW
