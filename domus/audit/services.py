"""Writing the audit trail. Every service that writes calls one of these."""

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from domus.audit.models import AuditLog
from domus.core import context
from domus.core.bulk import copy_create
from domus.core.compiled import RowInserts

_SKIPPED_FIELDS = frozenset({"password", "token_hash", "jti", "updated_at"})


def audit_snapshot(instance: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """The audited fields of ``instance`` as plain values (secrets and ``updated_at``
    left out; foreign keys as ids)."""
    return {
        field.name: _plain(field, field.value_from_object(instance))
        for field in instance._meta.concrete_fields
        if field.name not in _SKIPPED_FIELDS and (fields is None or field.name in fields)
    }


def _plain(field: models.Field, value: Any) -> Any:
    if isinstance(field, models.FileField):
        return value.name if value else ""  # the stored path, not the file object
    return value


def audit_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"field": {"before": old, "after": new}}`` for each field that changed."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    resource_type: str,
    resource_id: Any,
    changes: dict[str, Any] | None = None,
    company_id: Any = None,
) -> AuditLog:
    """Append one row to the audit trail, with the current request's IP, user agent
    and request id. ``actor`` may be ``None`` for the system or anonymous callers."""
    entry = _entry(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        changes=changes,
        company_id=company_id,
    )
    entry.save(force_insert=True)
    return entry


def _entry(
    *, actor: Any, action: str, resource_type: str, resource_id: Any, changes: dict[str, Any] | None, company_id: Any
) -> AuditLog:
    """The unsaved row ``audit_record`` writes."""
    ctx = context.current()
    authenticated = getattr(actor, "is_authenticated", False)
    return AuditLog(
        actor=actor if authenticated else None,
        actor_repr=getattr(actor, "email", "") if authenticated else "",
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id),
        company_id=company_id,
        changes=changes or {},
        ip_address=ctx.ip,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
    )


def audit_record_many(*, actor: Any, records: list[dict[str, Any]]) -> list[AuditLog]:
    """The rows ``audit_record`` writes, one per item of ``records`` (each its keyword
    arguments but ``actor``: action, resource_type, resource_id, changes, company_id),
    inserted in one statement: for a service that makes several audited writes at once."""
    ctx = context.current()
    authenticated = getattr(actor, "is_authenticated", False)
    rows = [
        AuditLog(
            actor=actor if authenticated else None,
            actor_repr=getattr(actor, "email", "") if authenticated else "",
            action=record["action"],
            resource_type=record["resource_type"],
            resource_id=str(record["resource_id"]),
            company_id=record.get("company_id"),
            changes=record.get("changes") or {},
            ip_address=ctx.ip,
            user_agent=ctx.user_agent,
            request_id=ctx.request_id,
        )
        for record in records
    ]
    return AuditLog.objects.bulk_create(rows)


def audit_create(*, actor: Any, instance: models.Model, company_id: Any = None) -> AuditLog:
    """Audit the creation of ``instance`` (every field is "after")."""
    entry = _creation_entry(actor=actor, instance=instance, company_id=company_id)
    entry.save(force_insert=True)
    return entry


def _creation_entry(*, actor: Any, instance: models.Model, company_id: Any) -> AuditLog:
    """The unsaved row that audits the creation of ``instance``."""
    return _entry(
        actor=actor,
        action="create",
        resource_type=instance._meta.label_lower,
        resource_id=instance.pk,
        changes=audit_diff({}, audit_snapshot(instance)),
        company_id=company_id,
    )


def insert_audited(*, actor: Any, instance: models.Model, company_id: Any = None) -> AuditLog:
    """Insert ``instance`` (a new row whose primary key is set) with the row
    ``audit_create`` writes for it, together: on PostgreSQL one statement
    (``domus.core.compiled.RowInserts``: the same values ``save()`` inserts, from SQL
    built once), for a hot path's creation. Both rows are written, or neither."""
    rows, entry = audited_rows(actor=actor, instance=instance, company_id=company_id)
    rows.run()
    return entry


def creation_member(field: str, value: Any) -> str:
    """The exact text of ``field``'s member in the stored ``changes`` of a creation's audit
    row when the row was created with ``value`` (JSON as the database is sent it)."""
    member = json.dumps({field: audit_diff({}, {field: value})[field]}, cls=DjangoJSONEncoder)
    return member[1:-1]


def audited_rows(*, actor: Any, instance: models.Model, company_id: Any = None) -> tuple[RowInserts, AuditLog]:
    """``insert_audited``'s two rows, not yet written (``RowInserts.statement`` gives the
    statement, for a caller that sends it inside another one), and the audit row."""
    rows = RowInserts(instance._state.db or "default")
    rows.add(instance)  # its pre_save first: the snapshot holds what is inserted
    entry = _creation_entry(actor=actor, instance=instance, company_id=company_id)
    rows.add(entry)
    return rows, entry


def audit_update(
    *, actor: Any, instance: models.Model, before: dict[str, Any], action: str = "update", company_id: Any = None
) -> AuditLog | None:
    """Audit an update of ``instance`` given its snapshot taken before; nothing is
    written when nothing changed."""
    changes = audit_diff(before, audit_snapshot(instance))
    if not changes and action == "update":
        return None
    return audit_record(
        actor=actor,
        action=action,
        resource_type=instance._meta.label_lower,
        resource_id=instance.pk,
        changes=changes,
        company_id=company_id,
    )


def audit_create_many(*, actor: Any, instances: list[models.Model], company_ids: list[Any] | None = None) -> int:
    """Audit the creation of many rows at once (bulk imports): the same rows
    ``audit_create`` writes, one per instance, inserted together (one ``COPY`` on
    PostgreSQL). ``company_ids`` gives each row's company (same order), else none."""
    ctx = context.current()
    authenticated = getattr(actor, "is_authenticated", False)
    rows = [
        AuditLog(
            actor=actor if authenticated else None,
            actor_repr=getattr(actor, "email", "") if authenticated else "",
            action="create",
            resource_type=instance._meta.label_lower,
            resource_id=str(instance.pk),
            company_id=company_ids[position] if company_ids is not None else None,
            changes=audit_diff({}, audit_snapshot(instance)),
            ip_address=ctx.ip,
            user_agent=ctx.user_agent,
            request_id=ctx.request_id,
        )
        for position, instance in enumerate(instances)
    ]
    return copy_create(AuditLog, rows)
