"""The Django admin shows the audit trail and cannot change it."""

import pytest
from django.test import Client

from domus.accounts.tests.factories import UserFactory
from domus.audit.models import AuditLog
from domus.audit.tests.factories import AuditLogFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/audit/auditlog/"


@pytest.fixture
def superuser_client(db) -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_changelist_lists_searches_and_filters(superuser_client):
    AuditLogFactory(action="create", resource_id="listing-1", actor_repr="alice@example.test")
    AuditLogFactory(action="delete", resource_id="listing-2", actor_repr="bob@example.test")

    listing = superuser_client.get(CHANGELIST)
    searched = superuser_client.get(f"{CHANGELIST}?q=alice")
    filtered = superuser_client.get(f"{CHANGELIST}?action=delete")

    assert listing.status_code == 200
    assert b"listing-1" in listing.content
    assert b"listing-2" in listing.content
    assert b"listing-1" in searched.content
    assert b"listing-2" not in searched.content
    assert b"listing-2" in filtered.content
    assert b"listing-1" not in filtered.content


def test_an_entry_opens_read_only(superuser_client):
    entry = AuditLogFactory(resource_id="listing-1")

    response = superuser_client.get(f"{CHANGELIST}{entry.pk}/change/")

    assert response.status_code == 200
    assert b"listing-1" in response.content
    assert b'name="_save"' not in response.content


def test_nothing_can_be_added_changed_or_deleted(superuser_client):
    entry = AuditLogFactory(action="create")

    add = superuser_client.get(f"{CHANGELIST}add/")
    change = superuser_client.post(f"{CHANGELIST}{entry.pk}/change/", {"action": "tampered"})
    delete = superuser_client.post(f"{CHANGELIST}{entry.pk}/delete/", {"post": "yes"})
    bulk = superuser_client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk]})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.action == "create"
    assert AuditLog.objects.count() == 1
