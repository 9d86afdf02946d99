"""Reads of marketing, each scoped to the companies the actor works for."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from domus.communications.addresses import normalize_address
from domus.core.exceptions import NotFound
from domus.core.filtering import filter_list
from domus.core.policies import is_admin
from domus.crm.selectors import company_leads
from domus.marketing.models import (
    Campaign,
    DoNotContact,
    Enrolment,
    EnrolmentStatus,
    Segment,
    SegmentMember,
    Sequence,
    SocialPost,
    SocialRule,
    Touch,
    TouchStatus,
)
from domus.marketing.policies import readable_company_ids
from domus.marketing.rules import segment_q
from domus.marketing.schemas import (
    CampaignFilters,
    DoNotContactFilters,
    SegmentFilters,
    SequenceFilters,
    SocialFilters,
    SocialRuleFilters,
)


def _scoped(queryset: QuerySet, actor: Any) -> QuerySet:
    if is_admin(actor):
        return queryset
    return queryset.filter(company_id__in=readable_company_ids(actor))


def _one(queryset: QuerySet, pk: UUID, what: str) -> Any:
    row = queryset.filter(pk=pk).first()
    if row is None:
        raise NotFound(f"{what} not found.")
    return row


# Segments ------------------------------------------------------------------------------


def segment_list_for_actor(*, actor: Any, filters: SegmentFilters) -> QuerySet[Segment]:
    return filter_list(
        _scoped(Segment.objects.all(), actor),
        filters,
        exact_fields=("company_id",),
        search_fields=["name"],
        ordering_fields=["name", "created_at", "member_count"],
        default_ordering=["-created_at", "-pk"],
    )


def segment_get_for_actor(*, actor: Any, segment_id: UUID) -> Segment:
    return _one(_scoped(Segment.objects.all(), actor), segment_id, "Segment")


def segment_leads(*, company_id: UUID, rules: dict[str, Any]) -> QuerySet:
    """The company's leads the rules select, now (the live evaluation)."""
    return company_leads(company_id).filter(segment_q(rules))


def segment_count(*, company_id: UUID, rules: dict[str, Any]) -> int:
    return segment_leads(company_id=company_id, rules=rules).count()


def segments_of_company(company_id: UUID) -> QuerySet[Segment]:
    return Segment.objects.filter(company_id=company_id)


def segment_member_ids(segment_id: UUID) -> QuerySet:
    return SegmentMember.objects.filter(segment_id=segment_id).values_list("lead_id", flat=True)


def segment_ids_of_lead(lead_id: UUID) -> set[UUID]:
    return set(SegmentMember.objects.filter(lead_id=lead_id).values_list("segment_id", flat=True))


# Campaigns -----------------------------------------------------------------------------

SENT_STATES = ("sent", "delivered")
IN_FLIGHT_STATES = ("queued", "sending")


def _metric_annotations() -> dict[str, Any]:
    handed = Q(touches__status=TouchStatus.QUEUED)
    status = "touches__delivery__status"
    return {
        "m_targeted": Count("touches__lead", distinct=True),
        "m_messages": Count("touches"),
        "m_pending": Count("touches", filter=Q(touches__status=TouchStatus.PENDING)),
        "m_in_flight": Count("touches", filter=handed & Q(**{f"{status}__in": IN_FLIGHT_STATES})),
        "m_sent": Count("touches", filter=handed & Q(**{f"{status}__in": SENT_STATES})),
        "m_delivered": Count("touches", filter=handed & Q(**{status: "delivered"})),
        "m_failed": Count("touches", filter=handed & Q(**{f"{status}__in": ("failed", "refused")})),
        "m_refused": Count("touches", filter=Q(touches__status=TouchStatus.REFUSED)),
        "m_skipped": Count("touches", filter=Q(touches__status=TouchStatus.SKIPPED)),
        "m_opened": Count("touches", filter=Q(touches__opened_at__isnull=False, touches__open_suspect=False)),
        "m_opened_by_machines": Count("touches", filter=Q(touches__open_suspect=True)),
        "m_clicked": Count("touches", filter=Q(touches__clicked_at__isnull=False)),
        "m_replied": Count("touches__lead", distinct=True, filter=Q(touches__replied_at__isnull=False)),
        "m_advanced": Count(
            "touches__lead",
            distinct=True,
            filter=handed & Q(touches__lead__stage_reached__gt=F("touches__stage_at_send")),
        ),
        "m_created": Count(
            "touches__lead", distinct=True, filter=handed & Q(touches__lead__created_at__gt=F("launched_at"))
        ),
        "m_viewings": Count("touches__lead", distinct=True, filter=Q(touches__viewing_at__isnull=False)),
        "m_offers": Count("touches__lead", distinct=True, filter=Q(touches__offer_at__isnull=False)),
        "m_cost": Sum("touches__cost", filter=handed & ~Q(**{f"{status}__in": ("failed", "refused")})),
    }


def campaign_visible_to(actor: Any) -> QuerySet[Campaign]:
    return _scoped(Campaign.objects.all(), actor)


def campaign_list_for_actor(*, actor: Any, filters: CampaignFilters) -> QuerySet[Campaign]:
    queryset = filter_list(
        campaign_visible_to(actor),
        filters,
        exact_fields=("status", "company_id"),
        search_fields=["name"],
        ordering_fields=["name", "created_at", "launched_at"],
        default_ordering=["-created_at", "-pk"],
    )
    return queryset.annotate(**_metric_annotations()).prefetch_related("segments")


def campaign_get_for_actor(*, actor: Any, campaign_id: UUID) -> Campaign:
    queryset = campaign_visible_to(actor).annotate(**_metric_annotations()).prefetch_related("segments")
    return _one(queryset, campaign_id, "Campaign")


def campaign_for_update(campaign_id: UUID) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign_id)


def campaign_with_metrics(campaign_id: UUID) -> Campaign:
    return Campaign.objects.annotate(**_metric_annotations()).prefetch_related("segments").get(pk=campaign_id)


def campaign_audience_ids(campaign: Campaign) -> QuerySet:
    """The leads a campaign targets now: members of its segments (evaluated live) and the
    leads listed, of the campaign's company."""
    leads = company_leads(campaign.company_id).order_by("id")
    conditions = [Q(id__in=[str(i) for i in campaign.lead_ids])] if campaign.lead_ids else []
    for segment in campaign.segments.all():
        rules = segment_q(segment.rules)
        if not rules:  # a segment without rules: every lead of the company
            return leads.values_list("id", flat=True)
        conditions.append(rules)
    if not conditions:
        return leads.none().values_list("id", flat=True)
    condition = conditions[0]
    for more in conditions[1:]:
        condition |= more
    return leads.filter(condition).values_list("id", flat=True)


def campaigns_with_due_touches(now: datetime) -> list[UUID]:
    """Running campaigns with a touch due: one probe of the pending touches' partial
    index per running campaign."""
    due = Touch.objects.filter(campaign_id=OuterRef("pk"), status=TouchStatus.PENDING, due_at__lte=now)
    return list(Campaign.objects.filter(status="running").filter(Exists(due)).values_list("id", flat=True))


def campaigns_scheduled_due(now: datetime) -> list[UUID]:
    return list(Campaign.objects.filter(status="scheduled", send_at__lte=now).values_list("id", flat=True))


def campaign_has_pending(campaign_id: UUID) -> bool:
    return Touch.objects.filter(campaign_id=campaign_id, status=TouchStatus.PENDING).exists()


def touches_sent_since(lead_ids: list[UUID], since: datetime) -> dict[UUID, int]:
    """Marketing messages each lead was handed since ``since`` (campaigns and sequences)."""
    rows = (
        Touch.objects.filter(lead_id__in=lead_ids, status=TouchStatus.QUEUED, handed_at__gte=since)
        .values("lead_id")
        .annotate(n=Count("id"))
    )
    return {row["lead_id"]: row["n"] for row in rows}


def touch_list_for_lead(*, actor: Any, lead_id: UUID) -> QuerySet[Touch]:
    """Every campaign and sequence message of one lead the actor may see."""
    return (
        _scoped(Touch.objects.filter(lead_id=lead_id), actor)
        .select_related("campaign", "enrolment__sequence", "delivery")
        .order_by("-due_at", "-id")
    )


def touch_get(touch_id: UUID) -> Touch | None:
    return Touch.objects.filter(pk=touch_id).select_related("lead").first()


def touch_of_delivery(delivery_id: UUID) -> Touch | None:
    return Touch.objects.filter(delivery_id=delivery_id).first()


def touch_latest_handed(*, lead_ids: list[UUID], channels: tuple[str, ...], since: datetime) -> Touch | None:
    """The latest message handed to one of these leads on one of these channels."""
    if not lead_ids:
        return None
    return (
        Touch.objects.filter(
            lead_id__in=lead_ids, channel__in=channels, status=TouchStatus.QUEUED, handed_at__gte=since
        )
        .order_by("-handed_at", "-id")
        .first()
    )


def touches_for_attribution(*, lead_ids: list[UUID], since: datetime) -> QuerySet[Touch]:
    return Touch.objects.filter(
        lead_id__in=lead_ids, status=TouchStatus.QUEUED, campaign__isnull=False, handed_at__gte=since
    )


def attribution_since() -> datetime:
    from django.conf import settings

    return timezone.now() - timedelta(days=settings.MARKETING_ATTRIBUTION_DAYS)


# Sequences -----------------------------------------------------------------------------


def sequence_list_for_actor(*, actor: Any, filters: SequenceFilters) -> QuerySet[Sequence]:
    return filter_list(
        _scoped(Sequence.objects.all(), actor),
        filters,
        exact_fields=("status", "company_id"),
        search_fields=["name"],
        ordering_fields=["name", "created_at"],
        default_ordering=["-created_at", "-pk"],
    ).annotate(
        active_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)),
        paused_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.PAUSED)),
    )


def sequence_get_for_actor(*, actor: Any, sequence_id: UUID) -> Sequence:
    queryset = _scoped(Sequence.objects.all(), actor).annotate(
        active_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)),
        paused_count=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.PAUSED)),
    )
    return _one(queryset, sequence_id, "Sequence")


def enrolment_list_for_actor(*, actor: Any, sequence: Sequence) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(sequence=sequence).order_by("-created_at", "-id")


def enrolment_get_for_actor(*, actor: Any, enrolment_id: UUID) -> Enrolment:
    queryset = Enrolment.objects.select_related("sequence")
    if not is_admin(actor):
        queryset = queryset.filter(sequence__company_id__in=readable_company_ids(actor))
    return _one(queryset, enrolment_id, "Enrolment")


def enrolments_of_lead(lead_id: UUID, statuses: tuple[str, ...]) -> QuerySet[Enrolment]:
    return Enrolment.objects.filter(lead_id=lead_id, status__in=statuses).select_related("sequence")


def enrolment_last(*, sequence_id: UUID, lead_id: UUID) -> Enrolment | None:
    return Enrolment.objects.filter(sequence_id=sequence_id, lead_id=lead_id).order_by("-created_at").first()


def enrolments_due(now: datetime, limit: int) -> list[UUID]:
    return list(
        Enrolment.objects.filter(status=EnrolmentStatus.ACTIVE, sequence__status="active", due_at__lte=now)
        .order_by("due_at")
        .values_list("id", flat=True)[:limit]
    )


def sequences_enrolling_on(*, company_id: UUID) -> QuerySet[Sequence]:
    return Sequence.objects.filter(company_id=company_id, status="active")


# Do-not-contact ------------------------------------------------------------------------


def dnc_list_for_actor(*, actor: Any, filters: DoNotContactFilters) -> QuerySet[DoNotContact]:
    return filter_list(
        _scoped(DoNotContact.objects.all(), actor),
        filters,
        exact_fields=("channel", "company_id", "lead_id"),
        search_fields=["address", "reason"],
        ordering_fields=["created_at", "address"],
        default_ordering=["-created_at", "-pk"],
    )


def dnc_get_for_actor(*, actor: Any, entry_id: UUID) -> DoNotContact:
    return _one(_scoped(DoNotContact.objects.all(), actor), entry_id, "Do-not-contact entry")


def dnc_blocked(*, channel: str, recipients: list[tuple[UUID, UUID, str]]) -> dict[UUID, str]:
    """Recipients (lead id, company id, address) the do-not-contact list blocks on
    ``channel``, with the reason; one query."""
    if not recipients:
        return {}
    addresses = {normalize_address(channel, a) for _, _, a in recipients if a}
    companies = {c for _, c, _ in recipients}
    rows = DoNotContact.objects.filter(
        Q(address__in=addresses) | Q(lead_id__in=[lead_id for lead_id, _, _ in recipients]),
        Q(channel=channel) | Q(channel=""),
        company_id__in=companies,
    ).values_list("company_id", "channel", "address", "lead_id")
    by_address = {(c, a): ch for c, ch, a, _ in rows if a}
    by_lead = {lead: ch for _, ch, _, lead in rows if lead}
    blocked: dict[UUID, str] = {}
    for lead_id, company_id, address in recipients:
        hit = by_lead.get(lead_id)
        if hit is None and address:
            hit = by_address.get((company_id, normalize_address(channel, address)))
        if hit is not None:
            blocked[lead_id] = f"On the do-not-contact list ({hit or 'every channel'})."
    return blocked


# Social posts --------------------------------------------------------------------------


def social_post_list_for_actor(*, actor: Any, filters: SocialFilters) -> QuerySet[SocialPost]:
    return filter_list(
        _scoped(SocialPost.objects.all(), actor),
        filters,
        exact_fields=("status", "network", "company_id", "listing_id"),
        search_fields=["text"],
        ordering_fields=["created_at", "scheduled_at", "published_at"],
        default_ordering=["-created_at", "-pk"],
    )


def social_rules_for(*, company_id: UUID, trigger: str) -> QuerySet[SocialRule]:
    return SocialRule.objects.filter(company_id=company_id, trigger=trigger, active=True).order_by("created_at")


def social_rule_list_for_actor(*, actor: Any, filters: SocialRuleFilters) -> QuerySet[SocialRule]:
    return filter_list(
        _scoped(SocialRule.objects.all(), actor),
        filters,
        exact_fields=("network", "trigger", "active", "company_id"),
        ordering_fields=["created_at"],
        default_ordering=["-created_at", "-pk"],
    )


def social_rule_get_for_actor(*, actor: Any, rule_id: UUID) -> SocialRule:
    return _one(_scoped(SocialRule.objects.all(), actor), rule_id, "Social rule")


def social_post_get_for_actor(*, actor: Any, post_id: UUID) -> SocialPost:
    return _one(_scoped(SocialPost.objects.all(), actor), post_id, "Social post")


def social_posts_due(now: datetime, limit: int = 100) -> list[UUID]:
    return list(
        SocialPost.objects.filter(status="scheduled", next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


def touch_engagement_rows(*, scope: Any, period: Any) -> list[dict[str, Any]]:
    """Marketing touches in ``scope`` (an agent's: to leads assigned to them; an owner's:
    about their listings) handed to a channel during ``period``, per channel: how many,
    and how many of them were opened, clicked, replied to, led to a viewing or an offer
    (one query)."""
    sent = Q(handed_at__isnull=False) & period.q("handed_at")
    rows = (
        Touch.objects.filter(scope.q(agent=("lead__assigned_agent_id",), owner=("lead__listing__owner_id",)), sent)
        .order_by()
        .values("channel")
        .annotate(
            sent=Count("pk"),
            opened=Count("pk", filter=Q(opened_at__isnull=False)),
            clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
            replied=Count("pk", filter=Q(replied_at__isnull=False)),
            viewings=Count("pk", filter=Q(viewing_at__isnull=False)),
            offers=Count("pk", filter=Q(offer_at__isnull=False)),
        )
    )
    return list(rows)
