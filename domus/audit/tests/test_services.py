"""What the audit services write: actor, resource, changes and the request context."""

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.audit.models import AuditLog
from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core import context

pytestmark = pytest.mark.django_db


def test_a_record_carries_the_request_context():
    actor = UserFactory()
    token = context.activate(context.RequestContext(request_id="req-1", ip="198.51.100.4", user_agent="ua/1"))
    try:
        entry = audit_record(actor=actor, action="export", resource_type="audit.auditlog", resource_id=42)
    finally:
        context.reset(token)

    entry = AuditLog.objects.get(pk=entry.pk)
    assert (entry.actor_id, entry.actor_repr, entry.resource_id) == (actor.id, actor.email, "42")
    assert (entry.request_id, entry.ip_address, entry.user_agent) == ("req-1", "198.51.100.4", "ua/1")


def test_anonymous_actors_are_recorded_as_nobody():
    from django.contrib.auth.models import AnonymousUser

    entry = audit_record(
        actor=AnonymousUser(), action="auth.login_failed", resource_type="accounts.user", resource_id=1
    )

    assert (entry.actor_id, entry.actor_repr) == (None, "")


def test_create_and_update_record_what_changed_without_secrets():
    user = UserFactory(first_name="Ada")

    created = audit_create(actor=user, instance=user)
    before = audit_snapshot(user)
    user.first_name = "Grace"
    updated = audit_update(actor=user, instance=user, before=before)

    assert "password" not in created.changes
    assert created.changes["first_name"] == {"before": None, "after": "Ada"}
    assert updated.changes == {"first_name": {"before": "Ada", "after": "Grace"}}
    assert audit_update(actor=user, instance=user, before=audit_snapshot(user)) is None


def test_audit_create_many_writes_the_rows_audit_create_writes():
    """One ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere: the same rows as one
    ``audit_create`` per instance, request context and JSON changes included."""
    from domus.audit.services import audit_create_many

    actor, other = UserFactory(), UserFactory()
    token = context.activate(context.RequestContext(request_id="req-9", ip="198.51.100.9", user_agent="ua/9"))
    try:
        written = audit_create_many(actor=actor, instances=[other, actor], company_ids=[None, None])
        single = audit_create(actor=actor, instance=other)
    finally:
        context.reset(token)

    assert written == 2
    rows = list(AuditLog.objects.filter(action="create", request_id="req-9").exclude(pk=single.pk))
    assert sorted(row.resource_id for row in rows) == sorted([str(other.pk), str(actor.pk)])
    copied = next(row for row in rows if row.resource_id == str(other.pk))
    assert copied.changes == AuditLog.objects.get(pk=single.pk).changes
    assert copied.changes["email"]["after"] == other.email
    assert {(row.actor_id, row.ip_address, row.user_agent) for row in rows} == {(actor.id, "198.51.100.9", "ua/9")}
    assert all(row.created_at is not None and row.company_id is None for row in rows)
