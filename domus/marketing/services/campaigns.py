"""Campaigns: an audience, a channel mix and a schedule; launched as a Celery workflow
that creates one touch per lead and channel, then hands due touches over in batches."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from domus.accounts.selectors import active_user
from domus.audit.services import audit_create, audit_snapshot, audit_update
from domus.core.exceptions import Conflict, NotFound, UnknownReference, ValidationFailed
from domus.crm.selectors import company_leads
from domus.marketing import selectors
from domus.marketing.models import Campaign, CampaignStatus, Segment, Touch, TouchStatus
from domus.marketing.rules import unknown_merge_fields
from domus.marketing.services.common import company_for, hand_over, lead_zone, next_allowed, preferences_of
from domus.organizations.selectors import company_currency
from domus.properties.selectors import listing_get_for_actor

EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED)
LAUNCHABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED, CampaignStatus.PAUSED, CampaignStatus.RUNNING)


def _channels(channels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    errors = []
    stored = []
    for item in channels:
        for text in (item.get("subject", ""), item["body"]):
            errors += unknown_merge_fields(text)
        cost = item.get("cost")
        stored.append(
            {
                "channel": item["channel"],
                "subject": item.get("subject", ""),
                "body": item["body"],
                "cost": str(Decimal(str(cost))) if cost is not None else None,
            }
        )
    if errors:
        raise ValidationFailed(
            "Unknown merge field.", errors={"channels": [f"Unknown merge field: {f}" for f in sorted(set(errors))]}
        )
    return stored


def _apply(actor: Any, campaign: Campaign, data: dict[str, Any]) -> list[Segment] | None:
    """Copy validated fields onto ``campaign``; answers its segments when given."""
    segments = None
    if "segment_ids" in data:
        ids = list(dict.fromkeys(data.pop("segment_ids") or []))
        segments = list(Segment.objects.filter(company_id=campaign.company_id, pk__in=ids))
        if len(segments) != len(ids):
            raise UnknownReference("Unknown segment.", errors={"segment_ids": ["Not segments of this company."]})
    if "lead_ids" in data:
        ids = list(dict.fromkeys(data.pop("lead_ids") or []))
        found = set(company_leads(campaign.company_id).filter(pk__in=ids).values_list("id", flat=True))
        if len(found) != len(ids):
            raise ValidationFailed("Unknown lead.", errors={"lead_ids": ["Not leads of this company."]})
        campaign.lead_ids = [str(i) for i in ids]
    if "listing_id" in data:
        listing_id = data.pop("listing_id")
        campaign.listing = None
        if listing_id is not None:
            try:
                listing = listing_get_for_actor(actor=actor, listing_id=listing_id)
            except NotFound:
                raise ValidationFailed("Unknown listing.", errors={"listing_id": ["No such listing."]}) from None
            if listing.company_id != campaign.company_id:
                raise ValidationFailed("Unknown listing.", errors={"listing_id": ["Not a listing of this company."]})
            campaign.listing = listing
    if data.get("channels") is not None:
        campaign.channels = _channels(data.pop("channels"))
    data.pop("channels", None)
    if "quiet_hours" in data:
        campaign.quiet_hours = {
            channel: {"start": w["start"].strftime("%H:%M"), "end": w["end"].strftime("%H:%M")}
            for channel, w in (data.pop("quiet_hours") or {}).items()
        }
    if "holidays" in data:
        campaign.holidays = sorted({d.isoformat() for d in data.pop("holidays") or []})
    if data.get("currency") is None:
        data.pop("currency", None)
    for name, value in data.items():
        setattr(campaign, name, value)
    return segments


@transaction.atomic
def campaign_create(*, actor: Any, name: str, company_id: UUID | None = None, **data: Any) -> Campaign:
    """A draft campaign of the actor's company."""
    company_id = company_for(actor, company_id)
    campaign = Campaign(company_id=company_id, name=name.strip(), created_by=actor)
    campaign.currency = company_currency(company_id) or campaign.currency
    segments = _apply(actor, campaign, data)
    campaign.save()
    if segments is not None:
        campaign.segments.set(segments)
    audit_create(actor=actor, instance=campaign, company_id=company_id)
    return campaign


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, **data: Any) -> Campaign:
    """Change a campaign that is not running, completed or cancelled."""
    campaign = selectors.campaign_for_update(campaign.pk)
    if campaign.status not in EDITABLE:
        raise Conflict(f"A {campaign.status} campaign cannot be changed.")
    before = audit_snapshot(campaign)
    segments = _apply(actor, campaign, data)
    campaign.save()
    if segments is not None:
        campaign.segments.set(segments)
    audit_update(actor=actor, instance=campaign, before=before, company_id=campaign.company_id)
    return campaign


def _status(actor: Any, campaign: Campaign, status: str, action: str, **extra: Any) -> Campaign:
    before = audit_snapshot(campaign, ["status"])
    campaign.status = status
    for name, value in extra.items():
        setattr(campaign, name, value)
    campaign.save()
    audit_update(actor=actor, instance=campaign, before=before, action=action, company_id=campaign.company_id)
    return campaign


@transaction.atomic
def campaign_launch(*, actor: Any, campaign: Campaign) -> Campaign:
    """Start (or restart) the campaign's workflow. Launching a running campaign again,
    after a crash or to pick up new segment members, is safe: each lead gets each
    channel's message once."""
    campaign = selectors.campaign_for_update(campaign.pk)
    if campaign.status not in LAUNCHABLE:
        raise Conflict(f"A {campaign.status} campaign cannot be launched.")
    if not campaign.channels:
        raise ValidationFailed("No channel.", errors={"channels": ["Give at least one channel."]})
    if campaign.created_by_id is None or active_user(campaign.created_by_id) is None:
        raise Conflict("The campaign's owner is no longer active: create it again.")
    now = timezone.now()
    if campaign.schedule == "at" and campaign.send_at and campaign.send_at > now:
        # Started by the beat at send_at (campaigns_start_scheduled).
        return _status(actor, campaign, CampaignStatus.SCHEDULED, "launch", launched_at=campaign.launched_at or now)
    _status(actor, campaign, CampaignStatus.RUNNING, "launch", launched_at=campaign.launched_at or now)
    transaction.on_commit(lambda: _enqueue_run(campaign.pk), robust=True)
    return campaign


def campaigns_start_scheduled(*, now: datetime | None = None) -> int:
    """Beat: start the scheduled campaigns whose time has come. Answers how many."""
    now = now or timezone.now()
    started = 0
    for campaign_id in selectors.campaigns_scheduled_due(now):
        with transaction.atomic():
            campaign = selectors.campaign_for_update(campaign_id)
            if campaign.status != CampaignStatus.SCHEDULED:
                continue
            _status(None, campaign, CampaignStatus.RUNNING, "start")
        campaign_run(campaign_id=campaign_id)
        started += 1
    return started


def _enqueue_run(campaign_id: UUID) -> None:
    from domus.marketing.tasks import campaign_run

    campaign_run.delay(str(campaign_id))


@transaction.atomic
def campaign_pause(*, actor: Any, campaign: Campaign) -> Campaign:
    """Stop handing messages over; a launch resumes where it stopped."""
    campaign = selectors.campaign_for_update(campaign.pk)
    if campaign.status not in (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED):
        raise Conflict(f"A {campaign.status} campaign cannot be paused.")
    return _status(actor, campaign, CampaignStatus.PAUSED, "pause")


@transaction.atomic
def campaign_cancel(*, actor: Any, campaign: Campaign) -> Campaign:
    """Cancel a campaign: its messages not yet handed over are skipped."""
    campaign = selectors.campaign_for_update(campaign.pk)
    if campaign.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED):
        raise Conflict(f"A {campaign.status} campaign cannot be cancelled.")
    Touch.objects.filter(campaign=campaign, status=TouchStatus.PENDING).update(
        status=TouchStatus.SKIPPED, reason="Campaign cancelled.", updated_at=timezone.now()
    )
    return _status(actor, campaign, CampaignStatus.CANCELLED, "cancel", completed_at=timezone.now())


# The workflow ---------------------------------------------------------------------------


def _first_due(campaign: Campaign, preference: Any, now: datetime) -> datetime:
    if campaign.schedule == "at" and campaign.send_at:
        return max(campaign.send_at, now)
    if campaign.schedule == "local" and campaign.local_date and campaign.local_time:
        tz = lead_zone(preference, campaign.timezone)
        return max(datetime.combine(campaign.local_date, campaign.local_time, tzinfo=tz), now)
    return now


def _quiet(campaign: Campaign) -> dict[str, tuple]:
    from datetime import time

    return {
        channel: (time.fromisoformat(w["start"]), time.fromisoformat(w["end"]))
        for channel, w in (campaign.quiet_hours or {}).items()
    }


def _holidays(campaign: Campaign) -> set:
    from datetime import date

    return {date.fromisoformat(d) for d in campaign.holidays or []}


def campaign_fan_out(*, campaign_id: UUID, chunk: int = 2000) -> int:
    """Create the campaign's touches: one per audience lead and channel, due at the
    scheduled time in the lead's zone, moved out of quiet hours and holidays. Existing
    touches are kept (a relaunch adds only new audience members). Answers how many
    touches were written."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != CampaignStatus.RUNNING:
        return 0
    now = timezone.now()
    quiet, holidays = _quiet(campaign), _holidays(campaign)
    channels = [c["channel"] for c in campaign.channels]
    ids = selectors.campaign_audience_ids(campaign)
    if connection.vendor == "postgresql" and campaign.schedule != "local" and not quiet and not holidays:
        # Every touch is due at the same instant: one INSERT ... SELECT writes them all (a
        # recipient's own quiet hours still defer theirs when it is handed over).
        return _fan_out_in_sql(campaign, ids, channels, _first_due(campaign, None, now), now)
    written = 0
    batch: list[tuple[UUID, UUID | None]] = []

    def flush() -> int:
        preferences = preferences_of([user_id for _, user_id in batch])
        rows = []
        for lead_id, user_id in batch:
            preference = preferences.get(user_id) if user_id else None
            first = _first_due(campaign, preference, now)
            tz = lead_zone(preference, campaign.timezone)
            for channel in channels:
                windows = [quiet[channel]] if channel in quiet else []
                if preference is not None and preference.quiet_hours_start and preference.quiet_hours_end:
                    windows.append((preference.quiet_hours_start, preference.quiet_hours_end))
                due = next_allowed(first, tz, windows=windows, holidays=holidays) if windows or holidays else first
                rows.append(
                    Touch(
                        company_id=campaign.company_id,
                        lead_id=lead_id,
                        campaign_id=campaign.pk,
                        channel=channel,
                        due_at=due,
                    )
                )
        Touch.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
        return len(rows)

    for row in ids.values_list("id", "user_id").iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) >= chunk:
            written += flush()
            batch = []
    if batch:
        written += flush()
    return written


# A time-ordered id (UUIDv7: milliseconds, version 7, random bits), made by PostgreSQL for
# each row: new touches land at the right edge of the primary key instead of all over it.
UUID7_SQL = (
    "encode(set_byte(substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)"
    " || substring(uuid_send(gen_random_uuid()) FROM 7), 6, 112 + floor(random() * 16)::int), 'hex')::uuid"
)


def _fan_out_in_sql(campaign: Campaign, ids: Any, channels: list[str], due: datetime, now: datetime) -> int:
    """Write the touches of every audience lead with set-based ``INSERT ... SELECT``s, one
    transaction per ``MARKETING_FAN_OUT_CHUNK`` leads (taken in id order): the first
    batches can be handed over while the rest is written, and a crash keeps what was
    committed. Touches already there are kept (``ON CONFLICT DO NOTHING`` on the
    uniqueness rule: an anti-join against the table being written was planned as a
    nested loop over a freshly emptied table, quadratic); a transaction-level advisory
    lock makes concurrent fan-outs of one campaign take turns instead of racing."""
    table = Touch._meta.db_table
    values = ", ".join(["(%s)"] * len(channels))
    columns = (
        "id, created_at, updated_at, company_id, lead_id, campaign_id, step, channel, status, due_at, reason, "
        "open_suspect, reply"
    )
    chunk = settings.MARKETING_FAN_OUT_CHUNK
    written, last = 0, None
    while True:
        page = ids.filter(id__gt=last) if last is not None else ids
        audience, params = page[:chunk].query.sql_with_params()
        # Only the model's table name, the audience's compiled SQL and placeholders are interpolated.
        sql = (
            f"WITH audience AS MATERIALIZED ({audience}), "  # noqa: S608
            f"written AS (INSERT INTO {table} ({columns}) "
            f"SELECT {UUID7_SQL}, %s, %s, %s, audience.id, %s, 'main', ch.channel, 'pending', %s, '', false, '' "
            f"FROM audience CROSS JOIN (VALUES {values}) AS ch(channel) ON CONFLICT DO NOTHING RETURNING 1) "
            "SELECT (SELECT max(id::text) FROM audience), (SELECT count(*) FROM audience), "
            "(SELECT count(*) FROM written)"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"fan-out:{campaign.pk}"])
            cursor.execute(sql, [*params, now, now, campaign.company_id, campaign.pk, due, *channels])
            top, leads, inserted = cursor.fetchone()
        written += inserted
        if leads < chunk:
            break
        last = top
    if written > 10_000:
        with connection.cursor() as cursor:
            # Fresh statistics, so the batches' index scans and updates are planned as such.
            cursor.execute(f"ANALYZE {table}")
    return written


def campaign_dispatch_batch(*, campaign_id: UUID, now: datetime | None = None) -> dict[str, int]:
    """Hand one batch of the campaign's due touches over, in one transaction: the touches
    claimed (locked, skipping those another worker holds) and their deliveries are
    committed together, so a crash re-sends none and loses none. Answers the counts."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_related("listing", "created_by").get(pk=campaign_id)
        if campaign.status != CampaignStatus.RUNNING:
            return {}
        touches = list(
            Touch.objects.select_for_update(skip_locked=True)
            .filter(campaign_id=campaign_id, status=TouchStatus.PENDING, due_at__lte=now)
            .order_by("due_at")[: settings.MARKETING_BATCH_SIZE]
        )
        if not touches:
            return {}
        contents = {c["channel"]: c for c in campaign.channels}
        return hand_over(
            actor=campaign.created_by,
            touches=touches,
            contents=contents,
            listing=campaign.listing,
            quiet=_quiet(campaign),
            holidays=_holidays(campaign),
            fallback_zone=campaign.timezone,
            frequency_cap=campaign.frequency_cap,
            frequency_days=campaign.frequency_days,
            now=now,
        )


def campaign_dispatch(*, campaign_id: UUID, now: datetime | None = None, max_batches: int | None = None) -> int:
    """Hand over every due touch, batch by batch; a campaign left with nothing pending
    is completed. Answers how many batches ran."""
    batches = 0
    while max_batches is None or batches < max_batches:
        outcome = campaign_dispatch_batch(campaign_id=campaign_id, now=now)
        if not outcome:
            break
        batches += 1
        if sum(v for k, v in outcome.items() if k != "deferred") == 0:
            break  # every touch of the batch moved to later: nothing more is due now
    campaign_complete_if_done(campaign_id=campaign_id)
    return batches


@transaction.atomic
def campaign_complete_if_done(*, campaign_id: UUID) -> bool:
    campaign = selectors.campaign_for_update(campaign_id)
    if campaign.status != CampaignStatus.RUNNING or selectors.campaign_has_pending(campaign_id):
        return False
    _status(None, campaign, CampaignStatus.COMPLETED, "complete", completed_at=timezone.now())
    return True


def campaign_run(*, campaign_id: UUID) -> int:
    """The launch workflow: fan out, then hand over what is due now (the rest goes when
    the beat finds it due)."""
    campaign_fan_out(campaign_id=campaign_id)
    return campaign_dispatch(campaign_id=campaign_id)


def campaigns_dispatch_due(*, now: datetime | None = None) -> int:
    """Beat: hand over the due touches of every running campaign."""
    now = now or timezone.now()
    count = 0
    for campaign_id in selectors.campaigns_with_due_touches(now):
        count += campaign_dispatch(campaign_id=campaign_id, now=now)
    return count


# Engagement -----------------------------------------------------------------------------


@transaction.atomic
def touch_engaged(*, touch_id: UUID, kind: str) -> Touch | None:
    """Record that a lead opened or clicked a message (a click is also an open), or
    asked to get no more e-mails (the address goes on the do-not-contact list)."""
    from domus.marketing.services.dnc import dnc_add

    touch = selectors.touch_get(touch_id)
    if touch is None:
        return None
    now = timezone.now()
    fields = []
    if touch.opened_at is None:
        touch.opened_at, fields = now, ["opened_at"]
    if kind == "click" and touch.open_suspect:  # a click is a person's open
        touch.open_suspect = False
        fields.append("open_suspect")
    if kind == "click" and touch.clicked_at is None:
        touch.clicked_at = now
        fields.append("clicked_at")
    if fields:
        touch.save(update_fields=[*fields, "updated_at"])
    if kind == "unsubscribe" and touch.lead.email:
        dnc_add(
            actor=None,
            channel="email",
            address=touch.lead.email,
            reason="Unsubscribed from an e-mail.",
            company_id=touch.company_id,
            company_known=True,
        )
    return touch


def touch_opened(*, touch_id: UUID, machine: bool = False) -> bool:
    """Record an open of a campaign e-mail (its pixel fetched), once per message: the
    first open sets ``opened_at``; an open that looks like a machine's (a prefetch, a
    mail scanner, or within ``MARKETING_OPEN_MIN_SECONDS`` of the hand-over) is kept as
    such, and a person's later open clears that. One conditional ``UPDATE``, so two
    fetches at once count once. Answers whether anything changed."""
    now = timezone.now()
    soon = now - timedelta(seconds=settings.MARKETING_OPEN_MIN_SECONDS)
    touches = Touch.objects.filter(pk=touch_id, handed_at__isnull=False)
    first = touches.filter(opened_at__isnull=True).update(
        opened_at=now,
        open_suspect=Case(When(handed_at__gt=soon, then=Value(True)), default=Value(machine)),
        updated_at=now,
    )
    if first or machine:
        return bool(first)
    return bool(touches.filter(open_suspect=True, handed_at__lte=soon).update(open_suspect=False, updated_at=now))
