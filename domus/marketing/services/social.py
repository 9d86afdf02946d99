"""Social posts: drafts, scheduled posts and publishing through a network's adapter,
with errors and retries kept."""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from domus.audit.services import audit_create, audit_record
from domus.core.exceptions import Conflict, NotFound, ValidationFailed
from domus.core.money import money_str
from domus.marketing.models import SocialPost, SocialRule, SocialStatus, SocialTrigger
from domus.marketing.services.common import company_for
from domus.properties.selectors import listing_get_for_actor, listing_visible_to
from domus.properties.selectors.media import media_list_for_listing


def _from_listing(listing: Any) -> tuple[str, str, list[str]]:
    base = settings.MARKETING_TRACKING_BASE_URL.rstrip("/")
    link = f"{base}/api/v1/properties/listings/{listing.pk}/"
    where = f" in {listing.city}" if listing.city else ""
    text = f"{listing.title}{where}: {money_str(listing.price)} {listing.currency}."
    media = [
        f"{base}{m.file.url}" if m.file.url.startswith("/") else m.file.url
        for m in media_list_for_listing(listing=listing)[:4]
    ]
    return text, link, media


def social_post_create(
    *,
    actor: Any,
    network: str,
    text: str = "",
    link: str = "",
    media: list[str] | None = None,
    listing_id: UUID | None = None,
    scheduled_at: datetime | None = None,
    publish_now: bool = False,
    company_id: UUID | None = None,
) -> SocialPost:
    """Draft a post (or schedule it, or publish it now); a post about a listing gets its
    title, price, link and photos where left out."""
    if network not in settings.SOCIAL_NETWORKS:
        raise ValidationFailed(
            "Unknown network.", errors={"network": [f"One of: {', '.join(settings.SOCIAL_NETWORKS)}."]}
        )
    with transaction.atomic():
        company_id = company_for(actor, company_id)
        listing = None
        if listing_id is not None:
            try:
                listing = listing_get_for_actor(actor=actor, listing_id=listing_id)
            except NotFound:
                raise ValidationFailed("Unknown listing.", errors={"listing_id": ["No such listing."]}) from None
            if listing.company_id != company_id:
                raise ValidationFailed("Unknown listing.", errors={"listing_id": ["Not a listing of this company."]})
            made_text, made_link, made_media = _from_listing(listing)
            text, link, media = text or made_text, link or made_link, media or made_media
        if not text.strip():
            raise ValidationFailed("Empty post.", errors={"text": ["Give the text or a listing_id."]})
        status = SocialStatus.DRAFT
        next_attempt = None
        if publish_now or scheduled_at is not None:
            status = SocialStatus.SCHEDULED
            next_attempt = scheduled_at if scheduled_at is not None and not publish_now else timezone.now()
        post = SocialPost.objects.create(
            company_id=company_id,
            network=network,
            text=text.strip(),
            link=link,
            media=media or [],
            listing=listing,
            status=status,
            scheduled_at=scheduled_at,
            next_attempt_at=next_attempt,
            created_by=actor,
        )
        audit_create(actor=actor, instance=post, company_id=company_id)
    if publish_now:
        social_post_publish(post_id=post.pk)
        post.refresh_from_db()
    return post


def social_post_publish(*, post_id: UUID, now: datetime | None = None) -> SocialPost | None:
    """Publish a scheduled post that is due. A retryable failure is tried again later
    (exponential backoff, ``SOCIAL_MAX_ATTEMPTS`` in all); another failure is final."""
    from domus.integrations.social import PublishFailed, social_adapter_for

    now = now or timezone.now()
    with transaction.atomic():
        post = (
            SocialPost.objects.select_for_update(skip_locked=True)
            .filter(pk=post_id, status=SocialStatus.SCHEDULED, next_attempt_at__lte=now)
            .first()
        )
        if post is None:
            return None
        post.attempts += 1
        # Claimed: the next attempt is pushed out before the network is called.
        post.next_attempt_at = now + timedelta(minutes=10)
        post.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
    adapter = social_adapter_for(post.network)
    try:
        result = adapter.publish(text=post.text, link=post.link, media=post.media)
    except PublishFailed as exc:
        post.error = str(exc)[:2000]
        if exc.retryable and post.attempts < settings.SOCIAL_MAX_ATTEMPTS:
            post.next_attempt_at = now + timedelta(seconds=min(60 * 2**post.attempts, 6 * 3600))
        else:
            post.status, post.next_attempt_at = SocialStatus.FAILED, None
        post.save(update_fields=["error", "status", "next_attempt_at", "updated_at"])
        return post
    post.status, post.published_at, post.next_attempt_at = SocialStatus.PUBLISHED, timezone.now(), None
    post.provider, post.external_id, post.error = result.provider, result.external_id, ""
    post.save()
    return post


@transaction.atomic
def social_post_retry(*, actor: Any, post: SocialPost) -> SocialPost:
    """Try a failed post again now."""
    post = SocialPost.objects.select_for_update().get(pk=post.pk)
    if post.status != SocialStatus.FAILED:
        raise Conflict("Only a failed post is retried.")
    post.status, post.next_attempt_at, post.attempts = SocialStatus.SCHEDULED, timezone.now(), 0
    post.save()
    return post


def social_posts_publish_due(*, now: datetime | None = None) -> int:
    from domus.marketing.selectors import social_posts_due

    now = now or timezone.now()
    ids = social_posts_due(now)
    for post_id in ids:
        social_post_publish(post_id=post_id, now=now)
    return len(ids)


# Posts on events -------------------------------------------------------------------------

LISTING_FIELDS = ("listing.title", "listing.price", "listing.city", "listing.url")


def _listing_values(listing: Any, link: str) -> dict[str, str]:
    return {
        "listing.title": listing.title,
        "listing.price": f"{money_str(listing.price)} {listing.currency}",
        "listing.city": listing.city or "",
        "listing.url": link,
    }


def _render_listing(text: str, values: dict[str, str]) -> str:
    import re

    return re.sub(r"{{\s*([a-z_.]+)\s*}}", lambda m: values.get(m.group(1), m.group(0)), text)


def _unknown_fields(text: str) -> list[str]:
    import re

    return sorted({f for f in re.findall(r"{{\s*([a-z_.]+)\s*}}", text) if f not in LISTING_FIELDS})


@transaction.atomic
def social_rule_create(
    *, actor: Any, network: str, trigger: str, text: str = "", active: bool = True, company_id: UUID | None = None
) -> SocialRule:
    """A rule that posts to ``network`` when one of the company's listings goes on the
    market (``new_listing``) or its price drops (``price_drop``)."""
    if network not in settings.SOCIAL_NETWORKS:
        raise ValidationFailed(
            "Unknown network.", errors={"network": [f"One of: {', '.join(settings.SOCIAL_NETWORKS)}."]}
        )
    unknown = _unknown_fields(text)
    if unknown:
        raise ValidationFailed("Unknown merge field.", errors={"text": [f"Unknown merge field: {f}" for f in unknown]})
    rule = SocialRule.objects.create(
        company_id=company_for(actor, company_id),
        network=network,
        trigger=trigger,
        text=text.strip(),
        active=active,
        created_by=actor,
    )
    audit_create(actor=actor, instance=rule, company_id=rule.company_id)
    return rule


@transaction.atomic
def social_rule_delete(*, actor: Any, rule: SocialRule) -> None:
    audit_record(
        actor=actor,
        action="delete",
        resource_type=SocialRule._meta.label_lower,
        resource_id=rule.pk,
        company_id=rule.company_id,
        changes={"trigger": {"before": rule.trigger, "after": None}},
    )
    rule.delete()


def social_posts_on_event(*, listing_id: UUID, trigger: str, event_key: str) -> list[SocialPost]:
    """The posts the company's active rules for ``trigger`` make about a listing that is
    public now, each published through its network's adapter. A rule posts once per
    listing and ``event_key`` (the event redelivered, or two workers, make no second
    post). Answers the posts made now."""
    from domus.marketing.selectors import social_rules_for

    listing = listing_visible_to(None).filter(pk=listing_id).select_related("company").first()
    if listing is None or listing.company_id is None:
        return []
    made = []
    for rule in social_rules_for(company_id=listing.company_id, trigger=trigger):
        text, link, media = _from_listing(listing)
        if rule.text:
            text = _render_listing(rule.text, _listing_values(listing, link))
        elif trigger == SocialTrigger.PRICE_DROP:
            text = f"Price drop: {text}"
        with transaction.atomic():
            post, created = SocialPost.objects.get_or_create(
                rule=rule,
                listing=listing,
                event_key=event_key[:200],
                defaults={
                    "company_id": listing.company_id,
                    "network": rule.network,
                    "text": text,
                    "link": link,
                    "media": media,
                    "status": SocialStatus.SCHEDULED,
                    "next_attempt_at": timezone.now(),
                },
            )
            if created:
                audit_create(actor=None, instance=post, company_id=listing.company_id)
        if created:
            social_post_publish(post_id=post.pk)
            made.append(post)
    return made
