import factory

from domus.accounts.models import AgentProfile, Profile, User
from domus.core.roles import Role

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    role = Role.CUSTOMER
    is_active = True
    password = factory.django.Password(DEFAULT_PASSWORD)


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)
    city = "Nairobi"
    country = "KE"


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile

    user = factory.SubFactory(UserFactory, role=Role.AGENT)
    agency_name = factory.Sequence(lambda n: f"Agency {n}")
    licence_number = factory.Sequence(lambda n: f"EARB/{n:05d}")
    specialties = factory.LazyFunction(lambda: ["residential"])
    languages = factory.LazyFunction(lambda: ["en", "sw"])
