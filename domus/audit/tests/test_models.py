"""Audit rows are append-only: no update or delete, one row or many."""

import pytest

from domus.audit.models import AuditLog
from domus.audit.tests.factories import AuditLogFactory

pytestmark = pytest.mark.django_db


def test_saving_an_existing_row_is_refused():
    entry = AuditLogFactory(action="create")
    entry.action = "tampered"

    with pytest.raises(TypeError, match="append-only"):
        entry.save()

    assert AuditLog.objects.get(pk=entry.pk).action == "create"


def test_deleting_a_row_is_refused():
    entry = AuditLogFactory()

    with pytest.raises(TypeError, match="append-only"):
        entry.delete()

    assert AuditLog.objects.filter(pk=entry.pk).exists()


def test_queryset_update_and_delete_are_refused():
    AuditLogFactory.create_batch(2, action="create")

    with pytest.raises(TypeError, match="append-only"):
        AuditLog.objects.filter(action="create").update(action="tampered")
    with pytest.raises(TypeError, match="append-only"):
        AuditLog.objects.all().delete()

    assert list(AuditLog.objects.values_list("action", flat=True)) == ["create", "create"]


def test_a_new_row_saves():
    entry = AuditLog(action="create", resource_type="accounts.user", resource_id="1")
    entry.save()

    assert AuditLog.objects.filter(pk=entry.pk).exists()
