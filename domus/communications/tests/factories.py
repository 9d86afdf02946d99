import factory

from domus.accounts.tests.factories import UserFactory
from domus.communications.models import (
    Conversation,
    ConversationMember,
    Message,
    Notification,
    SupportTicket,
)


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation; pass ``members=[u1, u2]`` to add members."""

    class Meta:
        model = Conversation
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"test-conversation-{n}")
    title = factory.Faker("sentence", nb_words=3)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        for user in extracted or []:
            ConversationMember.objects.create(conversation=self, user=user)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    sender = factory.SubFactory(UserFactory)
    body = factory.Faker("sentence")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    type = "general"
    title = factory.Faker("sentence", nb_words=4)


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportTicket

    customer = factory.SubFactory(UserFactory)
    subject = factory.Faker("sentence", nb_words=4)
    description = factory.Faker("paragraph")
