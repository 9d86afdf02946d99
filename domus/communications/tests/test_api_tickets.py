from datetime import timedelta

from django.utils import timezone

from domus.communications.models import Notification, SupportTicket, TicketReply
from domus.communications.tests.factories import TicketFactory

BASE = "/api/v1/communications/tickets"
ALIAS = "/api/v1/properties/support/tickets"


def test_a_customer_opens_a_ticket_through_the_original_path(client_for, alice, company, audit_log):
    response = client_for(alice).post_json(
        f"{ALIAS}/", {"subject": "Leaking tap", "description": "Kitchen tap leaks", "company_id": str(company.id)}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["customer_id"], body["replies"]) == (
        "open",
        "normal",
        str(alice.id),
        [],
    )
    assert audit_log.objects.filter(resource_type="communications.supportticket", action="create").exists()


def test_unknown_company_is_a_404(client_for, alice):
    response = client_for(alice).post_json(
        f"{BASE}/", {"subject": "x", "description": "y", "company_id": "018f0000-0000-7000-8000-000000000000"}
    )

    assert response.status_code == 404
    assert not SupportTicket.objects.exists()


def test_customers_see_their_own_and_staff_their_companys(
    client_for, alice, stranger, staff, other_staff, company, django_assert_num_queries
):
    mine = TicketFactory(customer=alice, company=company)
    theirs = TicketFactory(customer=stranger, company=company)
    TicketFactory(customer=stranger)
    customer = client_for(alice)

    with django_assert_num_queries(3):  # user with their memberships, count, page
        customer_view = customer.get(f"{BASE}/").json()
    staff_view = client_for(staff).get(f"{ALIAS}/").json()
    other_view = client_for(other_staff).get(f"{BASE}/").json()

    assert [t["id"] for t in customer_view["results"]] == [str(mine.id)]
    assert {t["id"] for t in staff_view["results"]} == {str(mine.id), str(theirs.id)}
    assert other_view["count"] == 0
    assert client_for(alice).get(f"{BASE}/{theirs.id}/").status_code == 404
    assert client_for(other_staff).get(f"{ALIAS}/{mine.id}/").status_code == 404


def test_reply_thread_first_response_and_reopen_on_customer_reply(
    client_for, alice, staff, company, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=alice, company=company)
    customer, handler = client_for(alice), client_for(staff)

    with django_capture_on_commit_callbacks(execute=True):
        assign = handler.post_json(f"{ALIAS}/{ticket.id}/assign/", {})
        staff_reply = handler.post_json(f"{ALIAS}/{ticket.id}/reply/", {"body": "We will send a plumber."})
        close = handler.post(f"{ALIAS}/{ticket.id}/close/")
        customer_reply = customer.post_json(f"{ALIAS}/{ticket.id}/reply/", {"body": "Still leaking!"})

    assert assign.status_code == 200
    assert assign.json()["assignee_id"] == str(staff.id)
    assert staff_reply.status_code == 201
    assert staff_reply.json()["from_staff"] is True
    assert close.status_code == 200
    assert close.json()["status"] == "closed"
    assert customer_reply.status_code == 201
    assert customer_reply.json()["from_staff"] is False
    detail = customer.get(f"{BASE}/{ticket.id}/").json()
    assert detail["status"] == "open"
    assert detail["closed_at"] is None
    assert detail["first_response_at"] is not None
    assert [r["body"] for r in detail["replies"]] == ["We will send a plumber.", "Still leaking!"]
    # The customer heard of the staff reply, the assignee of the customer's.
    assert Notification.objects.filter(recipient=alice, event="ticket.replied").count() == 1
    assert Notification.objects.filter(recipient=staff, event="ticket.replied").count() == 1
    assert not Notification.objects.filter(recipient=staff, event="ticket.assigned").exists()  # self-assigned


def test_assign_to_another_handler_notifies_them(
    client_for, staff, agent, company, alice, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=alice, company=company)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post_json(f"{BASE}/{ticket.id}/assign/", {"assignee_id": str(agent.id)})

    assert response.status_code == 200
    assert Notification.objects.get(event="ticket.assigned").recipient_id == agent.id


def test_assign_to_an_outsider_is_a_400(client_for, staff, other_staff, company, alice):
    ticket = TicketFactory(customer=alice, company=company)

    response = client_for(staff).post_json(f"{BASE}/{ticket.id}/assign/", {"assignee_id": str(other_staff.id)})

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_customers_cannot_assign_close_or_change_priority(client_for, alice, company):
    ticket = TicketFactory(customer=alice, company=company)
    api = client_for(alice)

    responses = [
        api.post_json(f"{BASE}/{ticket.id}/assign/", {}),
        api.post(f"{BASE}/{ticket.id}/close/"),
        api.patch_json(f"{BASE}/{ticket.id}/", {"priority": "urgent"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.assignee_id) == ("open", "normal", None)


def test_customer_edits_and_deletes_an_unanswered_ticket(client_for, alice, company, staff):
    ticket = TicketFactory(customer=alice, company=company)
    answered = TicketFactory(customer=alice, company=company)
    TicketReply.objects.create(ticket=answered, author=staff, body="On it", from_staff=True)
    api = client_for(alice)

    edited = api.put_json(f"{BASE}/{ticket.id}/", {"subject": "Leaking tap in kitchen"})
    deleted = api.delete(f"{BASE}/{ticket.id}/")
    refused = api.delete(f"{ALIAS}/{answered.id}/")

    assert edited.status_code == 200
    assert edited.json()["subject"] == "Leaking tap in kitchen"
    assert deleted.status_code == 204
    assert refused.status_code == 409
    assert list(SupportTicket.objects.values_list("id", flat=True)) == [answered.id]


def test_closing_twice_is_a_409(client_for, staff, company, alice):
    ticket = TicketFactory(customer=alice, company=company)
    api = client_for(staff)

    assert api.post(f"{BASE}/{ticket.id}/close/").status_code == 200
    assert api.post(f"{BASE}/{ticket.id}/close/").status_code == 409


def test_stats_are_for_staff_with_medians(client_for, staff, alice, company, other_company):
    now = timezone.now()
    TicketFactory(
        customer=alice,
        company=company,
        created_at=now - timedelta(hours=4),
        first_response_at=now - timedelta(hours=3),
        status="closed",
        closed_at=now,
        priority="high",
    )
    TicketFactory(
        customer=alice, company=company, created_at=now - timedelta(hours=4), first_response_at=now - timedelta(hours=1)
    )
    TicketFactory(customer=alice, company=company)
    TicketFactory(customer=alice, company=other_company)

    stats = client_for(staff).get(f"{ALIAS}/stats/")
    refused = client_for(alice).get(f"{BASE}/stats/")

    assert stats.status_code == 200, stats.content
    body = stats.json()
    assert body["total"] == 3
    assert body["by_status"] == {"open": 2, "pending": 0, "closed": 1}
    assert body["by_priority"] == {"low": 0, "normal": 2, "high": 1, "urgent": 0}
    assert body["median_first_response_seconds"] == 2 * 3600
    assert body["median_resolution_seconds"] == 4 * 3600
    assert refused.status_code == 403


def test_a_customer_reply_on_an_unassigned_ticket_notifies_the_companys_handlers(
    client_for, alice, staff, agent, other_staff, company, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=alice, company=company)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post_json(f"{BASE}/{ticket.id}/reply/", {"body": "Any news?"})

    assert response.status_code == 201
    notified = set(Notification.objects.filter(event="ticket.replied").values_list("recipient_id", flat=True))
    assert notified == {staff.id, agent.id}


def test_a_customer_reply_on_a_platform_ticket_notifies_the_admins(
    client_for, alice, admin_user, staff, django_capture_on_commit_callbacks
):
    ticket = TicketFactory(customer=alice, company=None)

    with django_capture_on_commit_callbacks(execute=True):
        client_for(alice).post_json(f"{BASE}/{ticket.id}/reply/", {"body": "Hello?"})

    notified = list(Notification.objects.filter(event="ticket.replied").values_list("recipient_id", flat=True))
    assert notified == [admin_user.id]


def test_staff_cannot_reply_on_a_closed_ticket_but_may_reopen_it(client_for, staff, alice, company):
    ticket = TicketFactory(customer=alice, company=company, status="closed", closed_at=timezone.now())
    api = client_for(staff)

    refused = api.post_json(f"{BASE}/{ticket.id}/reply/", {"body": "Reopening quietly"})
    ticket.refresh_from_db()
    still_closed = (ticket.status, ticket.replies.count())
    reopened = api.patch_json(f"{ALIAS}/{ticket.id}/", {"status": "open"})
    answered = api.post_json(f"{BASE}/{ticket.id}/reply/", {"body": "Looking again"})

    assert refused.status_code == 409
    assert refused.json()["code"] == "CONFLICT_ERROR"
    assert "closed" in refused.json()["detail"]
    assert still_closed == ("closed", 0)
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["closed_at"]) == ("open", None)
    assert answered.status_code == 201


def test_put_on_the_original_path_changes_a_ticket(client_for, staff, alice, company):
    ticket = TicketFactory(customer=alice, company=company, status="closed", closed_at=timezone.now())

    response = client_for(staff).put_json(f"{ALIAS}/{ticket.id}/", {"status": "pending", "priority": "high"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["closed_at"]) == ("pending", "high", None)


def test_a_blank_reply_is_a_field_error(client_for, alice, company):
    ticket = TicketFactory(customer=alice, company=company)

    response = client_for(alice).post_json(f"{BASE}/{ticket.id}/reply/", {"body": "   \n "})

    assert response.status_code == 400
    assert response.json()["errors"] == {"body": ["This field may not be blank."]}
    assert not TicketReply.objects.exists()


def test_tickets_with_the_same_creation_time_list_in_a_stable_order(client_for, alice, company):
    tickets = TicketFactory.create_batch(3, customer=alice, company=company)
    SupportTicket.objects.update(created_at=timezone.now())

    response = client_for(alice).get(f"{BASE}/")

    ids = [t["id"] for t in response.json()["results"]]
    assert ids == sorted((str(t.id) for t in tickets), reverse=True)
