from domus.communications.models import Notification
from domus.communications.tests.factories import NotificationFactory
from domus.core.events import publish
from domus.organizations.tests.factories import MembershipFactory
from domus.properties.services.visits import visit_confirm
from domus.properties.tests.factories import VisitFactory

BASE = "/api/v1/communications/notifications"


def test_a_user_lists_only_their_notifications_filtered(client_for, alice, bob, django_assert_num_queries):
    NotificationFactory(recipient=alice, type="offer")
    NotificationFactory(recipient=alice, type="visit", read_at="2026-01-01T00:00:00Z")
    NotificationFactory(recipient=bob, type="offer")
    api = client_for(alice)

    with django_assert_num_queries(3):  # user, count, page
        everything = api.get(f"{BASE}/")
    unread = api.get(f"{BASE}/", {"is_read": "false"}).json()
    offers = api.get(f"{BASE}/", {"type": "offer"}).json()

    assert everything.json()["count"] == 2
    assert [n["type"] for n in unread["results"]] == ["offer"]
    assert offers["count"] == 1


def test_mark_read_unread_and_delete_own(client_for, alice, audit_log):
    notification = NotificationFactory(recipient=alice)
    api = client_for(alice)

    read = api.put_json(f"{BASE}/{notification.id}/", {"is_read": True})
    unread = api.patch_json(f"{BASE}/{notification.id}/", {"is_read": False})
    deleted = api.delete(f"{BASE}/{notification.id}/")

    assert read.status_code == 200
    assert read.json()["is_read"] is True
    assert unread.json()["is_read"] is False
    assert deleted.status_code == 204
    assert not Notification.objects.exists()
    assert audit_log.objects.filter(resource_type="communications.notification", action="delete").exists()
    read_flags = audit_log.objects.filter(resource_id=str(notification.id), action="update").order_by("created_at")
    assert [set(row.changes) for row in read_flags] == [{"read_at"}, {"read_at"}]


def test_others_notifications_are_404_and_unchanged(client_for, alice, bob):
    notification = NotificationFactory(recipient=bob)
    api = client_for(alice)

    responses = [
        api.get(f"{BASE}/{notification.id}/"),
        api.put_json(f"{BASE}/{notification.id}/", {"is_read": True}),
        api.delete(f"{BASE}/{notification.id}/"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_and_unread_count(client_for, alice, bob, audit_log):
    NotificationFactory.create_batch(3, recipient=alice)
    other = NotificationFactory(recipient=bob)
    api = client_for(alice)

    before = api.get(f"{BASE}/unread_count/").json()
    marked = api.post(f"{BASE}/mark_all_read/").json()
    after = api.get(f"{BASE}/unread_count/").json()

    assert before == {"unread_count": 3}
    assert marked == {"marked": 3}
    assert after == {"unread_count": 0}
    other.refresh_from_db()
    assert other.read_at is None
    assert audit_log.objects.get(action="mark_all_read").changes == {"notifications_read": {"before": None, "after": 3}}


def test_staff_notify_members_of_their_company_only(client_for, staff, company, alice, stranger, audit_log):
    MembershipFactory(company=company, user=alice, role="agent")
    api = client_for(staff)

    ok = api.post_json(f"{BASE}/", {"recipient_id": str(alice.id), "title": "Team meeting at 10"})
    refused = api.post_json(f"{BASE}/", {"recipient_id": str(stranger.id), "title": "Hi"})

    assert ok.status_code == 201, ok.content
    assert ok.json()["recipient_id"] == str(alice.id)
    assert refused.status_code == 403
    assert Notification.objects.filter(recipient=stranger).count() == 0
    assert audit_log.objects.filter(resource_type="communications.notification", action="create").count() == 1


def test_customers_cannot_create_notifications(client_for, alice, bob):
    response = client_for(alice).post_json(f"{BASE}/", {"recipient_id": str(bob.id), "title": "Spam"})

    assert response.status_code == 403
    assert not Notification.objects.exists()


def test_admin_notifies_anyone_and_unknown_recipient_is_404(admin_client, alice):
    ok = admin_client.post_json(f"{BASE}/", {"recipient_id": str(alice.id), "title": "Maintenance tonight"})
    bad = admin_client.post_json(f"{BASE}/", {"recipient_id": "018f0000-0000-7000-8000-000000000000", "title": "x"})

    assert ok.status_code == 201
    assert bad.status_code == 404


# Domain events ------------------------------------------------------------------------------


def test_a_confirmed_visit_notifies_the_customer_not_the_acting_agent(db, django_capture_on_commit_callbacks):
    visit = VisitFactory()

    with django_capture_on_commit_callbacks(execute=True):
        visit_confirm(actor=visit.agent, visit=visit)

    notification = Notification.objects.get()
    assert notification.recipient_id == visit.customer_id
    assert (notification.event, notification.type, notification.title) == (
        "visit.confirmed",
        "visit",
        "Viewing confirmed",
    )
    assert notification.data["id"] == str(visit.id)


def test_an_event_notifies_each_recipient_once_even_when_redelivered(
    alice, bob, staff, monkeypatch, django_capture_on_commit_callbacks
):
    from domus.core.tasks import deliver_event, deliver_events

    payload = {
        "id": "018f0000-0000-7000-8000-000000000001",
        "company_id": None,
        "actor_id": str(staff.id),
        "recipient_ids": [str(alice.id), str(bob.id), str(staff.id), "not-a-uuid"],
    }
    delivered: list[dict] = []

    for task in (deliver_event, deliver_events):  # one subscriber, several

        def redeliver(handlers, event, data, event_id, task=task):  # the broker hands every task over twice
            delivered.append({"event_id": event_id})
            task.apply(args=(handlers, event, data, event_id))
            task.apply(args=(handlers, event, data, event_id))

        monkeypatch.setattr(task, "delay", redeliver)
    with django_capture_on_commit_callbacks(execute=True):
        publish("payment.received", payload)

    rows = Notification.objects.filter(event="payment.received")
    assert sorted(str(r) for r in rows.values_list("recipient_id", flat=True)) == sorted([str(alice.id), str(bob.id)])
    assert not rows.filter(recipient=staff).exists()
    assert {str(r.event_id) for r in rows} == {delivered[0]["event_id"]}  # the id published beside the payload
    assert "event_id" not in rows.first().data


def test_a_genuine_repeat_of_an_event_notifies_again(alice, staff, django_capture_on_commit_callbacks):
    # The same payment fails twice (a retry that failed too): two events, two notifications.
    payload = {
        "id": "018f0000-0000-7000-8000-000000000001",
        "actor_id": str(staff.id),
        "recipient_ids": [str(alice.id)],
    }

    with django_capture_on_commit_callbacks(execute=True):
        publish("payment.failed", payload)
    with django_capture_on_commit_callbacks(execute=True):
        publish("payment.failed", payload)

    assert Notification.objects.filter(recipient=alice, event="payment.failed").count() == 2


def test_a_saved_search_match_notifies_its_owner(alice, django_capture_on_commit_callbacks):
    payload = {"id": "018f0000-0000-7000-8000-000000000003", "user_id": str(alice.id), "listing_ids": ["a", "b"]}

    with django_capture_on_commit_callbacks(execute=True):
        publish("saved_search.matched", payload)

    notification = Notification.objects.get()
    assert notification.recipient_id == alice.id
    assert notification.body == "2 new listing(s) match your saved search."


def test_a_publisher_that_republishes_the_same_event_id_notifies_once(alice, django_capture_on_commit_callbacks):
    payload = {"id": "018f0000-0000-7000-8000-000000000005", "recipient_ids": [str(alice.id)]}
    event_id = "018f0000-0000-7000-8000-0000000000e1"

    with django_capture_on_commit_callbacks(execute=True):
        publish("invoice.overdue", payload, event_id=event_id)
    with django_capture_on_commit_callbacks(execute=True):
        publish("invoice.overdue", payload, event_id=event_id)

    notification = Notification.objects.get(event="invoice.overdue")
    assert (notification.recipient_id, str(notification.event_id)) == (alice.id, event_id)


def test_the_migration_writes_the_body_of_older_event_notifications(alice):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("domus.communications.migrations.0006_backfill_notification_bodies")
    payment = NotificationFactory(
        recipient=alice, type="payment", event="payment.received", data={"amount": "3000.00", "currency": "KES"}
    )
    empty = NotificationFactory(recipient=alice, type="offer", event="offer.expired", data={})
    by_hand = NotificationFactory(recipient=alice, type="general", body="")

    migration.fill_bodies(apps, None)

    bodies = {n.pk: n.body for n in Notification.objects.all()}
    assert bodies == {payment.pk: "KES 3000.00 received. Thank you.", empty.pk: "An offer expired.", by_hand.pk: ""}
