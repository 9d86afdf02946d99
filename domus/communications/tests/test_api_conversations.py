from datetime import timedelta

from django.utils import timezone

from domus.accounts.tests.factories import UserFactory
from domus.communications.models import Conversation, ConversationMember, Message, MessageRead
from domus.communications.tests.factories import ConversationFactory, MessageFactory

BASE = "/api/v1/communications"


def _start(api, *participants, **extra):
    return api.post_json(
        f"{BASE}/conversations/start_conversation/", {"participant_ids": [str(p.id) for p in participants], **extra}
    )


def test_start_conversation_creates_once_and_returns_the_existing_one(client_for, alice, bob, audit_log):
    first = _start(client_for(alice), bob, title="About the flat", message="Hello Bob")
    again = _start(client_for(bob), alice)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    body = first.json()
    assert again.json()["id"] == body["id"]
    assert sorted(body["member_ids"]) == sorted([str(alice.id), str(bob.id)])
    assert Conversation.objects.count() == 1
    assert Message.objects.get().body == "Hello Bob"
    assert audit_log.objects.filter(resource_type="communications.conversation", action="create").count() == 1


def test_a_different_subject_is_a_different_conversation(client_for, alice, bob, stranger):
    _start(client_for(alice), bob)
    response = _start(client_for(alice), bob, stranger)

    assert response.status_code == 201
    assert Conversation.objects.count() == 2


def test_the_same_members_about_another_listing_get_a_new_conversation(client_for, alice, bob):
    from domus.properties.tests.factories import ListingFactory

    flat, house = ListingFactory(), ListingFactory()
    api = client_for(alice)

    about_flat = _start(api, bob, listing_id=str(flat.id))
    about_house = _start(api, bob, listing_id=str(house.id))
    flat_again = _start(client_for(bob), alice, listing_id=str(flat.id))
    no_subject = _start(api, bob)

    assert [r.status_code for r in (about_flat, about_house, flat_again, no_subject)] == [201, 201, 200, 201]
    assert about_house.json()["id"] != about_flat.json()["id"]
    assert flat_again.json()["id"] == about_flat.json()["id"]
    assert (about_flat.json()["listing_id"], about_house.json()["listing_id"]) == (str(flat.id), str(house.id))
    assert Conversation.objects.count() == 3


def test_start_conversation_answers_404_for_unknown_users_and_400_for_self_only(client_for, alice):
    api = client_for(alice)
    unknown = api.post_json(
        f"{BASE}/conversations/start_conversation/", {"participant_ids": ["018f0000-0000-7000-8000-000000000000"]}
    )
    alone = _start(api, alice)

    assert unknown.status_code == 404
    assert "participant_ids" in unknown.json()["errors"]
    assert alone.status_code == 400
    assert Conversation.objects.count() == 0


def test_start_conversation_about_an_unknown_listing_is_a_404(client_for, alice, bob):
    response = _start(client_for(alice), bob, listing_id="018f0000-0000-7000-8000-000000000000")

    assert response.status_code == 404
    assert "listing_id" in response.json()["errors"]
    assert Conversation.objects.count() == 0


def test_members_list_their_conversations_with_unread_counts(
    client_for, alice, bob, stranger, django_assert_num_queries
):
    mine = ConversationFactory(members=[alice, bob])
    ConversationFactory(members=[bob, stranger])
    MessageFactory(conversation=mine, sender=bob)
    MessageFactory(conversation=mine, sender=bob)
    MessageFactory(conversation=mine, sender=alice)
    api = client_for(alice)

    with django_assert_num_queries(4):  # user, count, page, members
        response = api.get(f"{BASE}/conversations/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == str(mine.id)
    assert body["results"][0]["unread_count"] == 2


def test_send_message_and_read_messages_newest_first(client_for, alice, bob, audit_log):
    conversation = ConversationFactory(members=[alice, bob])
    api = client_for(alice)

    sent = [api.post_json(f"{BASE}/conversations/{conversation.id}/send_message/", {"body": f"m{i}"}) for i in range(3)]
    listed = client_for(bob).get(f"{BASE}/conversations/{conversation.id}/messages/")

    assert [r.status_code for r in sent] == [201, 201, 201]
    assert sent[0].json()["sender_id"] == str(alice.id)
    assert [m["body"] for m in listed.json()["results"]] == ["m2", "m1", "m0"]
    assert [m["is_read"] for m in listed.json()["results"]] == [False, False, False]
    conversation.refresh_from_db()
    assert conversation.last_message_at is not None
    trail = audit_log.objects.filter(resource_type="communications.message", action="create", actor=alice)
    assert trail.count() == 3
    assert all(row.changes == {"conversation": {"before": None, "after": str(conversation.id)}} for row in trail)


def test_messages_page_with_a_before_cursor(client_for, alice, bob):
    conversation = ConversationFactory(members=[alice, bob])
    now = timezone.now()
    for i in range(5):
        MessageFactory(conversation=conversation, sender=bob, body=f"m{i}", created_at=now + timedelta(seconds=i))
    api = client_for(alice)

    first = api.get(f"{BASE}/conversations/{conversation.id}/messages/", {"page_size": 2}).json()
    cursor = first["results"][-1]["created_at"]
    second = api.get(f"{BASE}/conversations/{conversation.id}/messages/", {"page_size": 2, "before": cursor}).json()

    assert [m["body"] for m in first["results"]] == ["m4", "m3"]
    assert [m["body"] for m in second["results"]] == ["m2", "m1"]


def test_non_members_neither_read_nor_write(client_for, alice, bob, stranger):
    conversation = ConversationFactory(members=[alice, bob])
    message = MessageFactory(conversation=conversation, sender=alice)
    api = client_for(stranger)

    responses = [
        api.get(f"{BASE}/conversations/{conversation.id}/"),
        api.get(f"{BASE}/conversations/{conversation.id}/messages/"),
        api.post_json(f"{BASE}/conversations/{conversation.id}/send_message/", {"body": "let me in"}),
        api.get(f"{BASE}/messages/{message.id}/"),
        api.post(f"{BASE}/messages/{message.id}/mark_read/"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert Message.objects.count() == 1
    assert not MessageRead.objects.exists()
    assert api.get(f"{BASE}/messages/").json()["count"] == 0


def test_blank_message_is_a_400(client_for, alice, bob):
    conversation = ConversationFactory(members=[alice, bob])

    response = client_for(alice).post_json(f"{BASE}/conversations/{conversation.id}/send_message/", {"body": "   "})

    assert response.status_code == 400
    assert "body" in str(response.json()["errors"])
    assert not Message.objects.exists()


def test_unread_count_and_mark_read(client_for, alice, bob, audit_log):
    conversation = ConversationFactory(members=[alice, bob])
    now = timezone.now()
    old = MessageFactory(conversation=conversation, sender=bob, created_at=now - timedelta(minutes=2))
    middle = MessageFactory(conversation=conversation, sender=bob, created_at=now - timedelta(minutes=1))
    MessageFactory(conversation=conversation, sender=bob, created_at=now)
    MessageFactory(conversation=conversation, sender=alice, created_at=now)
    api = client_for(alice)

    before = api.get(f"{BASE}/conversations/unread_count/").json()
    marked = api.post(f"{BASE}/messages/{middle.id}/mark_read/")
    again = api.post(f"{BASE}/messages/{old.id}/mark_read/")
    after = api.get(f"{BASE}/conversations/unread_count/").json()

    assert before == {"unread_count": 3}
    assert marked.status_code == 200
    assert marked.json()["marked"] == 2
    assert again.json()["marked"] == 0
    assert after == {"unread_count": 1}
    assert MessageRead.objects.filter(user=alice).count() == 2
    assert api.get(f"{BASE}/messages/", {"unread": "true"}).json()["count"] == 1
    # One trail row for the read that changed something, none for the one that did not.
    assert list(audit_log.objects.filter(action="mark_read").values_list("resource_id", "changes")) == [
        (str(middle.id), {"messages_read": {"before": None, "after": 2}})
    ]


def test_messages_endpoint_lists_only_my_conversations(client_for, alice, bob, stranger, django_assert_num_queries):
    mine = ConversationFactory(members=[alice, bob])
    theirs = ConversationFactory(members=[bob, stranger])
    MessageFactory(conversation=mine, sender=bob)
    MessageFactory(conversation=theirs, sender=bob)
    api = client_for(alice)

    with django_assert_num_queries(3):  # user, count, page
        response = api.get(f"{BASE}/messages/")

    assert [m["conversation_id"] for m in response.json()["results"]] == [str(mine.id)]


def test_send_message_honours_idempotency_key(client_for, alice, bob):
    conversation = ConversationFactory(members=[alice, bob])
    api = client_for(alice)
    url = f"{BASE}/conversations/{conversation.id}/send_message/"

    first = api.post_json(url, {"body": "once"}, headers={"Idempotency-Key": "k1"})
    second = api.post_json(url, {"body": "once"}, headers={"Idempotency-Key": "k1"})

    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert ConversationMember.objects.count() == 2
    assert Message.objects.count() == 1


def test_anonymous_is_401(api_client):
    assert api_client.get(f"{BASE}/conversations/").status_code == 401


def test_new_conversations_with_strangers_are_rate_limited_per_user(client_for, alice, bob, settings, rate_limits):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(conversation_start="2/h", write="1000/h")
    api = client_for(alice)
    strangers = UserFactory.create_batch(3)

    first, second = _start(api, strangers[0]), _start(api, strangers[1])
    refused = _start(api, strangers[2], message="Buy now!")
    known_again = _start(api, strangers[0], title="Same people: the existing conversation")
    others_budget = _start(client_for(bob), strangers[2])

    assert (first.status_code, second.status_code) == (201, 201)
    assert refused.status_code == 429, refused.content
    assert refused.json()["code"] == "RATE_LIMIT_ERROR"
    assert int(refused["Retry-After"]) >= 1
    assert known_again.status_code == 200
    assert others_budget.status_code == 201
    assert not ConversationMember.objects.filter(user=strangers[2], conversation__created_by=alice).exists()
    assert not Message.objects.filter(body="Buy now!").exists()


def test_a_conversation_with_people_already_talked_to_is_not_limited(client_for, alice, bob, settings, rate_limits):
    settings.RATE_LIMITS_ENABLED = True
    rate_limits(conversation_start="1/h", write="1000/h")
    carol = UserFactory()
    assert _start(client_for(bob), alice).status_code == 201
    assert _start(client_for(carol), alice).status_code == 201
    api = client_for(alice)

    group = _start(api, bob, carol, title="The three of us")
    first_stranger = _start(api, UserFactory())
    second_stranger = _start(api, UserFactory())

    assert group.status_code == 201
    assert first_stranger.status_code == 201
    assert second_stranger.status_code == 429


def test_the_number_of_participants_is_capped(client_for, alice, settings):
    settings.CONVERSATION_MAX_PARTICIPANTS = 3
    others = UserFactory.create_batch(3)

    refused = _start(client_for(alice), *others)
    allowed = _start(client_for(alice), *others[:2])

    assert refused.status_code == 400
    assert refused.json()["errors"] == {"participant_ids": ["At most 2 others besides you."]}
    assert allowed.status_code == 201
    assert Conversation.objects.count() == 1
