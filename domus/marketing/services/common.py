"""What the services of marketing share: the company a new row belongs to, local time
windows, and handing touches to the communications service."""

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.utils import timezone

from domus.communications.selectors import preferences_by_user
from domus.communications.services import PURPOSE_MARKETING, outreach_send
from domus.core.exceptions import ValidationFailed
from domus.core.policies import is_admin
from domus.crm.selectors import leads_for_messages
from domus.marketing.models import Touch, TouchStatus
from domus.marketing.rules import merge_values, render
from domus.organizations.selectors import company_exists, staff_company_ids

TRACKING_SALT = "domus.marketing.tracking"
# What the open pixel's token carries instead of a link.
OPEN_MARK = "#open"
# User agents of mail scanners, link checkers and prefetchers: their fetch of the pixel
# is noted as a machine's open, not counted as a person's.
MACHINE_AGENTS = (
    "bot",
    "crawler",
    "spider",
    "preview",
    "prefetch",
    "scanner",
    "barracuda",
    "mimecast",
    "proofpoint",
    "safelinks",
    "symantec",
    "curl",
    "wget",
    "python",
    "go-http-client",
    "java/",
)


def company_for(actor: Any, company_id: UUID | None) -> UUID:
    """The company a new segment, campaign, sequence or post belongs to: the one given
    (the actor runs it as staff, or is an admin), else the actor's only staff company."""
    companies = staff_company_ids(actor)
    if company_id is None:
        if len(companies) != 1:
            raise ValidationFailed("Which company?", errors={"company_id": ["Required: you run several or none."]})
        return next(iter(companies))
    if not company_exists(company_id) or (company_id not in companies and not is_admin(actor)):
        raise ValidationFailed("Unknown company.", errors={"company_id": ["Not a company you run."]})
    return company_id


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except Exception:
        return ZoneInfo("UTC")


def _in_window(local: time, start: time, end: time) -> bool:
    if start < end:
        return start <= local < end
    return local >= start or local < end


def next_allowed(when: datetime, tz: ZoneInfo, *, windows: list[tuple[time, time]], holidays: set[date]) -> datetime:
    """The first instant at or after ``when`` outside every quiet window and holiday,
    all read in the recipient's zone ``tz``."""
    candidate = when
    for _ in range(800):
        local = candidate.astimezone(tz)
        if local.date() in holidays:
            midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
            candidate = midnight
            continue
        blocking = [(s, e) for s, e in windows if _in_window(local.time().replace(tzinfo=None), s, e)]
        if not blocking:
            return candidate
        _, end = blocking[0]
        end_day = local.date() if local.time().replace(tzinfo=None) < end else local.date() + timedelta(days=1)
        candidate = datetime.combine(end_day, end, tzinfo=tz)
    return candidate


def tracking_token(touch_id: UUID, url: str = "") -> str:
    return signing.dumps([str(touch_id), url], salt=TRACKING_SALT, compress=True)


def tracking_read(token: str) -> tuple[str, str] | None:
    try:
        touch_id, url = signing.loads(token, salt=TRACKING_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return str(touch_id), str(url)


def _tracked_email(body: str, touch_id: UUID) -> str:
    """Links of an e-mail go through signed click-tracking links, and every e-mail ends
    with its signed opt-out link."""
    import re

    base = settings.MARKETING_TRACKING_BASE_URL.rstrip("/")

    def link(match: re.Match) -> str:
        return f"{base}/api/v1/marketing/t/{tracking_token(touch_id, match.group(0))}/click/"

    body = re.sub(r"https?://[^\s<>\"')]+", link, body)
    return f"{body}\n\n--\nNo more e-mails like this: {base}/api/v1/marketing/t/{tracking_token(touch_id)}/unsubscribe/"


def open_pixel_url(touch_id: UUID) -> str:
    base = settings.MARKETING_TRACKING_BASE_URL.rstrip("/")
    return f"{base}/api/v1/marketing/t/{tracking_token(touch_id, OPEN_MARK)}/open/"


def machine_open(request: Any) -> bool:
    """Whether a fetch of the open pixel looks like a machine's (a prefetch, a scanner, a
    link checker) rather than a person opening the e-mail."""
    purpose = (request.headers.get("Sec-Purpose") or request.headers.get("Purpose") or "").lower()
    if "prefetch" in purpose or request.headers.get("X-Moz", "").lower() == "prefetch":
        return True
    agent = (request.headers.get("User-Agent") or "").lower()
    return not agent or any(mark in agent for mark in MACHINE_AGENTS)


def email_html(body: str, touch_id: UUID) -> str:
    """The HTML part of a campaign e-mail: the text (links kept clickable) and the open
    pixel."""
    import re

    from django.utils.html import escape

    html = escape(body)
    # Links were rewritten to tracking links (no "&" in them) before escaping.
    html = re.sub(r'(https?://[^\s<>"&]+)', r'<a href="\1">\1</a>', html).replace("\n", "<br>\n")
    pixel = f'<img src="{escape(open_pixel_url(touch_id))}" width="1" height="1" alt="" style="display:none">'
    return f"<!doctype html><html><body>{html}{pixel}</body></html>"


def lead_zone(preference: Any, fallback: str) -> ZoneInfo:
    return zone(preference.timezone if preference is not None and preference.timezone else fallback)


def preferences_of(user_ids: list[UUID]) -> dict[UUID, Any]:
    return preferences_by_user([u for u in user_ids if u])


def hand_over(
    *,
    actor: Any,
    touches: list[Touch],
    contents: dict[str, dict[str, Any]],
    listing: Any = None,
    quiet: dict[str, tuple[time, time]] | None = None,
    holidays: set[date] | None = None,
    fallback_zone: str = "UTC",
    frequency_cap: int | None = None,
    frequency_days: int = 7,
    now: datetime | None = None,
) -> dict[str, int]:
    """Hand pending ``touches`` (locked by the caller, in its transaction) to the
    communications service, one call per channel with each lead's own text. A touch in
    the recipient's quiet hours (theirs or the channel's) or on a holiday is moved to the
    next allowed time and stays pending; one over the lead's frequency cap is skipped.
    The touches and the deliveries are written in the caller's transaction, so a crash
    leaves both or neither. Answers counts by outcome."""
    from domus.marketing.selectors import touches_sent_since

    now = now or timezone.now()
    quiet = quiet or {}
    holidays = holidays or set()
    leads = {lead.pk: lead for lead in leads_for_messages([t.lead_id for t in touches])}
    preferences = preferences_of([lead.user_id for lead in leads.values()])
    sent_recently = (
        touches_sent_since(list(leads), now - timedelta(days=frequency_days)) if frequency_cap is not None else {}
    )
    outcome = {"queued": 0, "refused": 0, "skipped": 0, "deferred": 0}
    by_channel: dict[str, list[Touch]] = {}
    for touch in touches:
        lead = leads.get(touch.lead_id)
        preference = preferences.get(lead.user_id) if lead is not None and lead.user_id else None
        tz = lead_zone(preference, fallback_zone)
        windows = [quiet[touch.channel]] if touch.channel in quiet else []
        if preference is not None and preference.quiet_hours_start and preference.quiet_hours_end:
            windows.append((preference.quiet_hours_start, preference.quiet_hours_end))
        allowed = next_allowed(now, tz, windows=windows, holidays=holidays)
        if allowed > now:
            touch.due_at = allowed
            touch.save(update_fields=["due_at", "updated_at"])
            outcome["deferred"] += 1
            continue
        if frequency_cap is not None:
            if sent_recently.get(touch.lead_id, 0) >= frequency_cap:
                touch.status, touch.reason = (
                    TouchStatus.SKIPPED,
                    f"Frequency cap ({frequency_cap} in {frequency_days} days).",
                )
                touch.save(update_fields=["status", "reason", "updated_at"])
                outcome["skipped"] += 1
                continue
            sent_recently[touch.lead_id] = sent_recently.get(touch.lead_id, 0) + 1
        by_channel.setdefault(touch.channel, []).append(touch)
    base = settings.MARKETING_TRACKING_BASE_URL
    for channel, group in by_channel.items():
        content = contents[channel]
        bodies: dict[UUID, str] = {}
        subjects: dict[UUID, str] = {}
        templates: dict[UUID, dict[str, Any]] = {}
        for touch in group:
            lead = leads.get(touch.lead_id)
            if lead is None:
                continue
            values = merge_values(lead, listing, base)
            body = render(content["body"], values)
            if channel == "email":
                body = _tracked_email(body, touch.pk)
                templates[touch.lead_id] = {"html": email_html(body, touch.pk)}
            bodies[touch.lead_id] = body
            subjects[touch.lead_id] = render(content.get("subject", ""), values).replace("\n", " ")[:200]
        result = outreach_send(
            actor=actor,
            lead_ids=[t.lead_id for t in group],
            channel=channel,
            message=content["body"],
            subject=content.get("subject", ""),
            purpose=PURPOSE_MARKETING,
            bodies=bodies,
            subjects=subjects,
            templates=templates or None,
        )
        by_lead = {row["lead_id"]: row for row in result["results"]}
        cost = content.get("cost")
        for touch in group:
            row = by_lead[touch.lead_id]
            lead = leads.get(touch.lead_id)
            touch.handed_at = touch.updated_at = now
            touch.delivery_id = row["delivery_id"]
            touch.reason = row["reason"]
            touch.stage_at_send = lead.stage_reached if lead is not None else None
            if row["status"] == "queued":
                touch.status = TouchStatus.QUEUED
                touch.cost = cost
            elif row["status"] == "not_found":
                touch.status = TouchStatus.SKIPPED
            else:
                touch.status = TouchStatus.REFUSED
            outcome[touch.status] = outcome.get(touch.status, 0) + 1
        _save_outcomes(group, now)
    return outcome


def _save_outcomes(touches: list[Touch], now: datetime) -> None:
    """Write what became of handed-over touches: one ``UPDATE ... FROM (VALUES ...)`` on
    PostgreSQL (Django's ``bulk_update`` builds a CASE per field and row, ten times
    slower at a batch of 200), ``bulk_update`` elsewhere."""
    from django.db import connection

    if connection.vendor != "postgresql":
        Touch.objects.bulk_update(
            touches, ["status", "handed_at", "delivery_id", "reason", "stage_at_send", "cost", "updated_at"]
        )
        return
    rows = ", ".join(["(%s::uuid, %s, %s::uuid, %s, %s::smallint, %s::numeric)"] * len(touches))
    params: list[Any] = []
    for t in touches:
        params += [t.pk, t.status, t.delivery_id, t.reason, t.stage_at_send, t.cost]
    table = Touch._meta.db_table
    # Only the model's table name and placeholders are interpolated.
    sql = (
        f"UPDATE {table} AS t SET status = v.status, delivery_id = v.delivery_id, reason = v.reason, "  # noqa: S608
        "stage_at_send = v.stage, cost = v.cost, handed_at = %s, updated_at = %s "
        f"FROM (VALUES {rows}) AS v(id, status, delivery_id, reason, stage, cost) WHERE t.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, *params])
