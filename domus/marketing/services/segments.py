"""Segments: saved filters over leads, with members kept up to date lead by lead."""

from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record, audit_snapshot, audit_update
from domus.core.events import publish
from domus.marketing import selectors
from domus.marketing.models import Segment, SegmentMember
from domus.marketing.services.common import company_for

SEGMENT_ENTERED = "segment.entered"
SEGMENT_LEFT = "segment.left"


@transaction.atomic
def segment_create(*, actor: Any, name: str, rules: dict[str, Any], company_id: UUID | None = None) -> Segment:
    """Save a filter over the company's leads; its members are computed at once."""
    segment = Segment.objects.create(
        company_id=company_for(actor, company_id), name=name.strip(), rules=rules, created_by=actor
    )
    audit_create(actor=actor, instance=segment, company_id=segment.company_id)
    segment_rebuild(segment=segment)
    segment.refresh_from_db()
    return segment


@transaction.atomic
def segment_update(*, actor: Any, segment: Segment, name: str | None = None, rules: dict | None = None) -> Segment:
    """Rename a segment or change its rules (its members are recomputed)."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    before = audit_snapshot(segment)
    if name is not None:
        segment.name = name.strip()
    if rules is not None:
        segment.rules = rules
    segment.save()
    audit_update(actor=actor, instance=segment, before=before, company_id=segment.company_id)
    if rules is not None:
        segment_rebuild(segment=segment)
        segment.refresh_from_db()
    return segment


@transaction.atomic
def segment_delete(*, actor: Any, segment: Segment) -> None:
    audit_record(
        actor=actor,
        action="delete",
        resource_type=Segment._meta.label_lower,
        resource_id=segment.pk,
        company_id=segment.company_id,
        changes={"name": {"before": segment.name, "after": None}},
    )
    segment.delete()


def _entered(segment: Segment, lead_ids: list[UUID], *, announce: bool) -> None:
    from domus.marketing.services.sequences import sequences_enrol_on_segment

    if announce:
        for lead_id in lead_ids:
            publish(
                SEGMENT_ENTERED, {"id": str(segment.pk), "lead_id": str(lead_id), "company_id": str(segment.company_id)}
            )
    sequences_enrol_on_segment(segment=segment, lead_ids=lead_ids)


@transaction.atomic
def segment_rebuild(*, segment: Segment) -> dict[str, int]:
    """Recompute a segment's members from its rules (after an edit, and nightly for the
    rules that move with time: last activity). Leads entering enrol in the sequences
    that enrol on this segment. Answers how many entered and left."""
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    if connection.vendor == "postgresql":
        return _rebuild_in_sql(segment)
    matching = set(
        selectors.segment_leads(company_id=segment.company_id, rules=segment.rules).values_list("id", flat=True)
    )
    current = set(selectors.segment_member_ids(segment.pk))
    entered, left = matching - current, current - matching
    now = timezone.now()
    SegmentMember.objects.bulk_create(
        [SegmentMember(segment=segment, lead_id=lead_id, entered_at=now) for lead_id in entered],
        batch_size=5000,
        ignore_conflicts=True,
    )
    left_ids = list(left)
    for start in range(0, len(left_ids), 5000):
        SegmentMember.objects.filter(segment=segment, lead_id__in=left_ids[start : start + 5000]).delete()
    Segment.objects.filter(pk=segment.pk).update(member_count=len(matching), rebuilt_at=now)
    if entered:
        _entered(segment, sorted(entered), announce=False)
    return {"entered": len(entered), "left": len(left), "members": len(matching)}


def _rebuild_in_sql(segment: Segment) -> dict[str, int]:
    """The rebuild as three statements on PostgreSQL: the members that enter are inserted
    from the rules' query, those that left are deleted, without loading the ids."""
    matching, params = (
        selectors.segment_leads(company_id=segment.company_id, rules=segment.rules).values("id").query.sql_with_params()
    )
    table = SegmentMember._meta.db_table
    now = timezone.now()
    # Only the model's table name, the rules' compiled SQL and placeholders are interpolated.
    insert = f"INSERT INTO {table} (segment_id, lead_id, entered_at) SELECT %s, m.id, %s FROM ({matching}) AS m "  # noqa: S608
    delete = (
        f"DELETE FROM {table} AS member WHERE segment_id = %s "  # noqa: S608
        f"AND NOT EXISTS (SELECT 1 FROM ({matching}) AS m WHERE m.id = member.lead_id)"
    )
    with connection.cursor() as cursor:
        # Leavers first: the anti-join then only walks the members kept from before.
        cursor.execute(delete, [segment.pk, *params])
        left = cursor.rowcount
        cursor.execute(insert + "ON CONFLICT DO NOTHING RETURNING lead_id", [segment.pk, now, *params])
        entered = [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT count(*) FROM {table} WHERE segment_id = %s", [segment.pk])  # noqa: S608
        members = cursor.fetchone()[0]
    Segment.objects.filter(pk=segment.pk).update(member_count=members, rebuilt_at=now)
    if entered:
        _entered(segment, entered, announce=False)
    return {"entered": len(entered), "left": left, "members": members}


@transaction.atomic
def segments_refresh_lead(*, company_id: UUID, lead_id: UUID) -> dict[str, list[UUID]]:
    """Evaluate one changed lead against every segment of its company: entering or
    leaving a segment is an event (``segment.entered`` / ``segment.left``) and updates
    the member count at once. Answers the segments entered and left."""
    was_in = selectors.segment_ids_of_lead(lead_id)
    entered: list[UUID] = []
    left: list[UUID] = []
    now = timezone.now()
    for segment in selectors.segments_of_company(company_id):
        matches = selectors.segment_leads(company_id=company_id, rules=segment.rules).filter(id=lead_id).exists()
        if matches and segment.pk not in was_in:
            _, created = SegmentMember.objects.get_or_create(
                segment=segment, lead_id=lead_id, defaults={"entered_at": now}
            )
            if created:
                Segment.objects.filter(pk=segment.pk).update(member_count=segment.member_count + 1)
                entered.append(segment.pk)
                _entered(segment, [lead_id], announce=True)
        elif not matches and segment.pk in was_in:
            deleted, _ = SegmentMember.objects.filter(segment=segment, lead_id=lead_id).delete()
            if deleted:
                Segment.objects.filter(pk=segment.pk, member_count__gt=0).update(member_count=segment.member_count - 1)
                left.append(segment.pk)
                publish(SEGMENT_LEFT, {"id": str(segment.pk), "lead_id": str(lead_id), "company_id": str(company_id)})
    return {"entered": entered, "left": left}


def segments_rebuild_all() -> int:
    count = 0
    for segment_id in Segment.objects.values_list("id", flat=True):
        segment_rebuild(segment=Segment(pk=segment_id))
        count += 1
    return count
