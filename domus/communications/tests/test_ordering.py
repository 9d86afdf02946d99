"""Lists with ties in their sort key keep a stable order, and the messages cursor pages
through equal timestamps without skipping or repeating."""

from datetime import timedelta

from django.utils import timezone

from domus.communications.models import Conversation, Message
from domus.communications.tests.factories import ConversationFactory, MessageFactory


def test_message_pages_with_the_id_cursor_cover_equal_timestamps_exactly_once(client_for, alice, bob):
    conversation = ConversationFactory(members=[alice, bob])
    messages = MessageFactory.create_batch(7, conversation=conversation, sender=bob)
    same_instant = timezone.now()
    Message.objects.update(created_at=same_instant)
    api = client_for(alice)
    url = f"/api/v1/communications/conversations/{conversation.id}/messages/"

    seen: list[str] = []
    page = api.get(url, {"page_size": 3}).json()["results"]
    while page:
        seen += [m["id"] for m in page]
        last = page[-1]
        page = api.get(url, {"page_size": 3, "before_id": last["id"]}).json()["results"]

    assert seen == sorted((str(m.id) for m in messages), reverse=True)


def test_the_id_cursor_wins_over_before_and_an_unknown_one_is_a_404(client_for, alice, bob):
    conversation = ConversationFactory(members=[alice, bob])
    older, newer = (
        MessageFactory(conversation=conversation, sender=bob, created_at=timezone.now() - timedelta(minutes=1)),
        MessageFactory(conversation=conversation, sender=bob),
    )
    api = client_for(alice)
    url = f"/api/v1/communications/conversations/{conversation.id}/messages/"

    after_newer = api.get(url, {"before_id": str(newer.id), "before": (timezone.now() - timedelta(days=1)).isoformat()})
    unknown = api.get(url, {"before_id": "018f0000-0000-7000-8000-000000000000"})

    assert [m["id"] for m in after_newer.json()["results"]] == [str(older.id)]
    assert unknown.status_code == 404  # an id naming no row is a 404 wherever it is given
    assert unknown.json()["errors"] == {"before_id": ["No message with this id."]}


def test_conversations_without_messages_come_last(client_for, alice, bob, stranger):
    now = timezone.now()
    empty = ConversationFactory(members=[alice, bob])
    old = ConversationFactory(members=[alice, stranger])
    recent = ConversationFactory(members=[alice, bob, stranger])
    Conversation.objects.filter(pk=old.pk).update(last_message_at=now - timedelta(days=1))
    Conversation.objects.filter(pk=recent.pk).update(last_message_at=now)

    response = client_for(alice).get("/api/v1/communications/conversations/")

    assert [c["id"] for c in response.json()["results"]] == [str(recent.id), str(old.id), str(empty.id)]
    assert list(Conversation.objects.values_list("pk", flat=True)) == [recent.pk, old.pk, empty.pk]


def test_ordering_by_last_activity_keeps_empty_conversations_last_both_ways(client_for, alice, bob, stranger):
    now = timezone.now()
    empty = ConversationFactory(members=[alice, bob])
    old = ConversationFactory(members=[alice, stranger])
    recent = ConversationFactory(members=[alice, bob, stranger])
    Conversation.objects.filter(pk=old.pk).update(last_message_at=now - timedelta(days=1))
    Conversation.objects.filter(pk=recent.pk).update(last_message_at=now)
    api = client_for(alice)

    newest = api.get("/api/v1/communications/conversations/", {"ordering": "-last_message_at"}).json()["results"]
    oldest = api.get("/api/v1/communications/conversations/", {"ordering": "last_message_at"}).json()["results"]

    assert [c["id"] for c in newest] == [str(recent.id), str(old.id), str(empty.id)]
    assert [c["id"] for c in oldest] == [str(old.id), str(recent.id), str(empty.id)]
