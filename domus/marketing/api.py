"""Marketing API: segments, campaigns (the CRM's ``marketing/campaigns`` and ``launch``),
nurturing sequences (its ``nurturing/sequences`` and ``pause``), social posts (its
``social/posts``), the do-not-contact list, per-lead history and the signed e-mail
tracking links."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.communications import services as communications_services
from domus.core.errors import ErrorOut
from domus.core.exceptions import AuthenticationFailed, NotFound, ValidationFailed
from domus.core.openapi import download, plain_text
from domus.core.policies import require
from domus.core.query import reads_raw_request
from domus.core.security import QueryToken
from domus.core.throttling import ScopedRateLimit
from domus.crm.selectors import lead_get_for_actor
from domus.marketing import policies, selectors, services
from domus.marketing.schemas import (
    CampaignFilters,
    CampaignIn,
    CampaignOut,
    CampaignPatchIn,
    DoNotContactFilters,
    DoNotContactIn,
    DoNotContactOut,
    EnrolIn,
    EnrolmentOut,
    EnrolResultOut,
    SegmentCountOut,
    SegmentFilters,
    SegmentIn,
    SegmentOut,
    SegmentPatchIn,
    SegmentPreviewIn,
    SequenceFilters,
    SequenceIn,
    SequenceOut,
    SequencePatchIn,
    SequencePauseIn,
    SocialFilters,
    SocialPostIn,
    SocialPostOut,
    SocialRuleFilters,
    SocialRuleIn,
    SocialRuleOut,
    TouchOut,
)
from domus.marketing.services.common import OPEN_MARK, company_for, machine_open, tracking_read

router = Router(tags=["marketing"])

READERS = {"x-permission": "company agents and staff, or admin"}
MANAGERS = {"x-permission": "company staff or admin"}
LIST_ERRORS = {400: ErrorOut, 401: ErrorOut}
READ_ERRORS = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
STAFF_ONLY = "Only the company's staff run its marketing."


def _manage(request: HttpRequest, company_id: UUID) -> None:
    require(policies.can_manage(request.auth, company_id), STAFF_ONLY)


# Segments ------------------------------------------------------------------------------


@router.get("/segments/", response={200: list[SegmentOut], **LIST_ERRORS}, summary="Segments", openapi_extra=READERS)
@paginate
def segment_list(request: HttpRequest, filters: Query[SegmentFilters]):
    return selectors.segment_list_for_actor(actor=request.auth, filters=filters)


@router.post("/segments/", response={201: SegmentOut, **WRITE_ERRORS}, summary="Save a segment", openapi_extra=MANAGERS)
def segment_create(request: HttpRequest, payload: SegmentIn):
    require(policies.can_create(request.auth), STAFF_ONLY)
    segment = services.segment_create(
        actor=request.auth, name=payload.name, company_id=payload.company_id, rules=payload.rules.stored()
    )
    return Status(201, segment)


@router.post(
    "/segments/count/",
    response={200: SegmentCountOut, **WRITE_ERRORS},
    summary="Count the leads some rules select, now (without saving them)",
    openapi_extra=MANAGERS,
)
def segment_preview(request: HttpRequest, payload: SegmentPreviewIn):
    company_id = company_for(request.auth, payload.company_id)
    return {"count": selectors.segment_count(company_id=company_id, rules=payload.rules.stored())}


@router.get(
    "/segments/{segment_id}/", response={200: SegmentOut, **READ_ERRORS}, summary="A segment", openapi_extra=READERS
)
def segment_detail(request: HttpRequest, segment_id: UUID):
    return selectors.segment_get_for_actor(actor=request.auth, segment_id=segment_id)


@router.get(
    "/segments/{segment_id}/count/",
    response={200: SegmentCountOut, **READ_ERRORS},
    summary="The segment's leads counted live",
    openapi_extra=READERS,
)
def segment_live_count(request: HttpRequest, segment_id: UUID):
    segment = selectors.segment_get_for_actor(actor=request.auth, segment_id=segment_id)
    return {"count": selectors.segment_count(company_id=segment.company_id, rules=segment.rules)}


@router.patch(
    "/segments/{segment_id}/",
    response={200: SegmentOut, **WRITE_ERRORS},
    summary="Change a segment",
    openapi_extra=MANAGERS,
)
def segment_patch(request: HttpRequest, segment_id: UUID, payload: SegmentPatchIn):
    segment = selectors.segment_get_for_actor(actor=request.auth, segment_id=segment_id)
    _manage(request, segment.company_id)
    rules = payload.rules.stored() if payload.rules is not None else None
    return services.segment_update(actor=request.auth, segment=segment, name=payload.name, rules=rules)


@router.delete(
    "/segments/{segment_id}/", response={204: None, **WRITE_ERRORS}, summary="Delete a segment", openapi_extra=MANAGERS
)
def segment_delete(request: HttpRequest, segment_id: UUID):
    segment = selectors.segment_get_for_actor(actor=request.auth, segment_id=segment_id)
    _manage(request, segment.company_id)
    services.segment_delete(actor=request.auth, segment=segment)
    return Status(204, None)


@router.post(
    "/segments/{segment_id}/rebuild/",
    response={200: SegmentOut, **WRITE_ERRORS},
    summary="Recompute a segment's members now",
    openapi_extra=MANAGERS,
)
def segment_rebuild(request: HttpRequest, segment_id: UUID):
    segment = selectors.segment_get_for_actor(actor=request.auth, segment_id=segment_id)
    _manage(request, segment.company_id)
    services.segment_rebuild(segment=segment)
    return selectors.segment_get_for_actor(actor=request.auth, segment_id=segment_id)


# Campaigns -----------------------------------------------------------------------------


@router.get(
    "/campaigns/",
    response={200: list[CampaignOut], **LIST_ERRORS},
    summary="Campaigns with their metrics",
    openapi_extra=READERS,
)
@paginate
def campaign_list(request: HttpRequest, filters: Query[CampaignFilters]):
    return selectors.campaign_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/campaigns/",
    response={201: CampaignOut, **WRITE_ERRORS},
    summary="Create a campaign: audience, channel mix and schedule",
    openapi_extra=MANAGERS,
)
def campaign_create(request: HttpRequest, payload: CampaignIn):
    require(policies.can_create(request.auth), STAFF_ONLY)
    data = payload.model_dump(exclude_unset=True)
    data["channels"] = [c.model_dump() for c in payload.channels]
    if "quiet_hours" in data:
        data["quiet_hours"] = {k: {"start": v.start, "end": v.end} for k, v in payload.quiet_hours.items()}
    campaign = services.campaign_create(actor=request.auth, **data)
    return Status(201, selectors.campaign_with_metrics(campaign.pk))


@router.get(
    "/campaigns/{campaign_id}/", response={200: CampaignOut, **READ_ERRORS}, summary="A campaign", openapi_extra=READERS
)
def campaign_detail(request: HttpRequest, campaign_id: UUID):
    return selectors.campaign_get_for_actor(actor=request.auth, campaign_id=campaign_id)


@router.patch(
    "/campaigns/{campaign_id}/",
    response={200: CampaignOut, **WRITE_ERRORS},
    summary="Change a campaign (draft, scheduled or paused)",
    openapi_extra=MANAGERS,
)
def campaign_patch(request: HttpRequest, campaign_id: UUID, payload: CampaignPatchIn):
    campaign = selectors.campaign_get_for_actor(actor=request.auth, campaign_id=campaign_id)
    _manage(request, campaign.company_id)
    data = payload.model_dump(exclude_unset=True)
    if payload.channels is not None:
        data["channels"] = [c.model_dump() for c in payload.channels]
    if "quiet_hours" in data:
        data["quiet_hours"] = {k: {"start": v.start, "end": v.end} for k, v in payload.quiet_hours.items()}
    services.campaign_update(actor=request.auth, campaign=campaign, **data)
    return selectors.campaign_with_metrics(campaign.pk)


def _campaign_action(request: HttpRequest, campaign_id: UUID, action) -> object:
    campaign = selectors.campaign_get_for_actor(actor=request.auth, campaign_id=campaign_id)
    _manage(request, campaign.company_id)
    action(actor=request.auth, campaign=campaign)
    return selectors.campaign_with_metrics(campaign.pk)


@router.post(
    "/campaigns/{campaign_id}/launch/",
    response={200: CampaignOut, **WRITE_ERRORS},
    summary="Launch (or relaunch) a campaign: a Celery workflow sends it in batches",
    openapi_extra=MANAGERS,
)
def campaign_launch(request: HttpRequest, campaign_id: UUID):
    return _campaign_action(request, campaign_id, services.campaign_launch)


@router.post(
    "/campaigns/{campaign_id}/pause/",
    response={200: CampaignOut, **WRITE_ERRORS},
    summary="Pause a campaign (a launch resumes it)",
    openapi_extra=MANAGERS,
)
def campaign_pause(request: HttpRequest, campaign_id: UUID):
    return _campaign_action(request, campaign_id, services.campaign_pause)


@router.post(
    "/campaigns/{campaign_id}/cancel/",
    response={200: CampaignOut, **WRITE_ERRORS},
    summary="Cancel a campaign",
    openapi_extra=MANAGERS,
)
def campaign_cancel(request: HttpRequest, campaign_id: UUID):
    return _campaign_action(request, campaign_id, services.campaign_cancel)


@router.get(
    "/leads/{lead_id}/history/",
    response={200: list[TouchOut], **READ_ERRORS, 400: ErrorOut},
    summary="A lead's campaign and sequence messages",
    openapi_extra=READERS,
)
@paginate
def lead_history(request: HttpRequest, lead_id: UUID):
    lead_get_for_actor(actor=request.auth, lead_id=lead_id)
    return selectors.touch_list_for_lead(actor=request.auth, lead_id=lead_id)


# Sequences -----------------------------------------------------------------------------


@router.get("/sequences/", response={200: list[SequenceOut], **LIST_ERRORS}, summary="Sequences", openapi_extra=READERS)
@paginate
def sequence_list(request: HttpRequest, filters: Query[SequenceFilters]):
    return selectors.sequence_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/sequences/",
    response={201: SequenceOut, **WRITE_ERRORS},
    summary="Configure a nurturing sequence",
    openapi_extra=MANAGERS,
)
def sequence_create(request: HttpRequest, payload: SequenceIn):
    require(policies.can_create(request.auth), STAFF_ONLY)
    data = payload.model_dump(exclude_unset=True)
    data["steps"] = [s.model_dump() for s in payload.steps]
    data.setdefault("exit_on", payload.exit_on)
    sequence = services.sequence_create(actor=request.auth, **data)
    return Status(201, selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence.pk))


@router.get(
    "/sequences/{sequence_id}/", response={200: SequenceOut, **READ_ERRORS}, summary="A sequence", openapi_extra=READERS
)
def sequence_detail(request: HttpRequest, sequence_id: UUID):
    return selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)


@router.patch(
    "/sequences/{sequence_id}/",
    response={200: SequenceOut, **WRITE_ERRORS},
    summary="Edit a sequence (leads in it keep their place; passed steps never re-run)",
    openapi_extra=MANAGERS,
)
def sequence_patch(request: HttpRequest, sequence_id: UUID, payload: SequencePatchIn):
    sequence = selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)
    _manage(request, sequence.company_id)
    data = payload.model_dump(exclude_unset=True)
    if payload.steps is not None:
        data["steps"] = [s.model_dump() for s in payload.steps]
    services.sequence_update(actor=request.auth, sequence=sequence, **data)
    return selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)


@router.post(
    "/sequences/{sequence_id}/pause/",
    response={200: SequenceOut, **WRITE_ERRORS},
    summary="Pause or resume a sequence, or one lead's walk through it",
    openapi_extra=MANAGERS,
)
def sequence_pause(request: HttpRequest, sequence_id: UUID, payload: SequencePauseIn | None = None):
    payload = payload or SequencePauseIn()
    sequence = selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)
    _manage(request, sequence.company_id)
    if payload.lead_id is not None:
        enrolment = (
            selectors.enrolments_of_lead(payload.lead_id, ("active", "paused")).filter(sequence=sequence).first()
        )
        if enrolment is None:
            raise NotFound("This lead is not in this sequence.")
        services.enrolment_pause(actor=request.auth, enrolment=enrolment, action=payload.action, reason="By hand.")
    else:
        services.sequence_pause(actor=request.auth, sequence=sequence, action=payload.action)
    return selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)


@router.post(
    "/sequences/{sequence_id}/enrol/",
    response={200: EnrolResultOut, **WRITE_ERRORS},
    summary="Enrol leads by hand",
    openapi_extra=MANAGERS,
)
def sequence_enrol(request: HttpRequest, sequence_id: UUID, payload: EnrolIn):
    sequence = selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)
    _manage(request, sequence.company_id)
    return services.sequence_enrol(actor=request.auth, sequence=sequence, lead_ids=payload.lead_ids)


@router.get(
    "/sequences/{sequence_id}/enrolments/",
    response={200: list[EnrolmentOut], **READ_ERRORS, 400: ErrorOut},
    summary="The leads in a sequence and where they are",
    openapi_extra=READERS,
)
@paginate
def enrolment_list(request: HttpRequest, sequence_id: UUID):
    sequence = selectors.sequence_get_for_actor(actor=request.auth, sequence_id=sequence_id)
    return selectors.enrolment_list_for_actor(actor=request.auth, sequence=sequence)


# Do-not-contact ------------------------------------------------------------------------


@router.get(
    "/do-not-contact/",
    response={200: list[DoNotContactOut], **LIST_ERRORS},
    summary="The do-not-contact list",
    openapi_extra=READERS,
)
@paginate
def dnc_list(request: HttpRequest, filters: Query[DoNotContactFilters]):
    return selectors.dnc_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/do-not-contact/",
    response={201: DoNotContactOut, 200: DoNotContactOut, **WRITE_ERRORS},
    summary="Put an address or a lead on the do-not-contact list (201; 200 when already there)",
    openapi_extra=MANAGERS,
)
def dnc_create(request: HttpRequest, payload: DoNotContactIn):
    require(policies.can_create(request.auth), STAFF_ONLY)
    entry, created = services.dnc_add(
        actor=request.auth,
        channel=payload.channel or "",
        address=payload.address,
        lead_id=payload.lead_id,
        reason=payload.reason,
        company_id=payload.company_id,
    )
    return Status(201 if created else 200, entry)


@router.delete(
    "/do-not-contact/{entry_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Take an entry off the do-not-contact list",
    openapi_extra=MANAGERS,
)
def dnc_delete(request: HttpRequest, entry_id: UUID):
    entry = selectors.dnc_get_for_actor(actor=request.auth, entry_id=entry_id)
    _manage(request, entry.company_id)
    services.dnc_remove(actor=request.auth, entry=entry)
    return Status(204, None)


# Social posts --------------------------------------------------------------------------


@router.get(
    "/social/posts/",
    response={200: list[SocialPostOut], **LIST_ERRORS},
    summary="Social posts and their status",
    openapi_extra=READERS,
)
@paginate
def social_post_list(request: HttpRequest, filters: Query[SocialFilters]):
    return selectors.social_post_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/social/posts/",
    response={201: SocialPostOut, **WRITE_ERRORS},
    summary="Draft, schedule or publish a social post (from a listing when listing_id is given)",
    openapi_extra=MANAGERS,
)
def social_post_create(request: HttpRequest, payload: SocialPostIn):
    require(policies.can_create(request.auth), STAFF_ONLY)
    return Status(201, services.social_post_create(actor=request.auth, **payload.model_dump()))


@router.get(
    "/social/posts/{post_id}/",
    response={200: SocialPostOut, **READ_ERRORS},
    summary="A social post",
    openapi_extra=READERS,
)
def social_post_detail(request: HttpRequest, post_id: UUID):
    return selectors.social_post_get_for_actor(actor=request.auth, post_id=post_id)


@router.post(
    "/social/posts/{post_id}/retry/",
    response={200: SocialPostOut, **WRITE_ERRORS},
    summary="Try a failed post again",
    openapi_extra=MANAGERS,
)
def social_post_retry(request: HttpRequest, post_id: UUID):
    post = selectors.social_post_get_for_actor(actor=request.auth, post_id=post_id)
    _manage(request, post.company_id)
    services.social_post_retry(actor=request.auth, post=post)
    services.social_post_publish(post_id=post.pk)
    return selectors.social_post_get_for_actor(actor=request.auth, post_id=post_id)


@router.get(
    "/social/rules/",
    response={200: list[SocialRuleOut], **LIST_ERRORS},
    summary="Rules that post on listing events (new listing, price drop)",
    openapi_extra=READERS,
)
@paginate
def social_rule_list(request: HttpRequest, filters: Query[SocialRuleFilters]):
    return selectors.social_rule_list_for_actor(actor=request.auth, filters=filters)


@router.post(
    "/social/rules/",
    response={201: SocialRuleOut, **WRITE_ERRORS},
    summary="Post to a network whenever a listing goes on the market or its price drops",
    openapi_extra=MANAGERS,
)
def social_rule_create(request: HttpRequest, payload: SocialRuleIn):
    require(policies.can_create(request.auth), STAFF_ONLY)
    return Status(201, services.social_rule_create(actor=request.auth, **payload.model_dump()))


@router.get(
    "/social/rules/{rule_id}/",
    response={200: SocialRuleOut, **READ_ERRORS},
    summary="A social rule",
    openapi_extra=READERS,
)
def social_rule_detail(request: HttpRequest, rule_id: UUID):
    return selectors.social_rule_get_for_actor(actor=request.auth, rule_id=rule_id)


@router.delete(
    "/social/rules/{rule_id}/",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a social rule (its posts stay)",
    openapi_extra=MANAGERS,
)
def social_rule_delete(request: HttpRequest, rule_id: UUID):
    rule = selectors.social_rule_get_for_actor(actor=request.auth, rule_id=rule_id)
    _manage(request, rule.company_id)
    services.social_rule_delete(actor=request.auth, rule=rule)
    return Status(204, None)


# Tracking (public, signed) -------------------------------------------------------------


def _touch_of(token: str) -> tuple[str, str]:
    read = tracking_read(token)
    if read is None:
        raise NotFound("Unknown link.")
    return read


@router.get(
    "/t/{token}/click/",
    auth=None,
    response={302: None, 404: ErrorOut},
    summary="A tracked link of a campaign e-mail: records the click, then redirects",
    throttle=ScopedRateLimit("public_form"),
)
def track_click(request: HttpRequest, token: str):
    touch_id, url = _touch_of(token)
    if not url.startswith(("http://", "https://")):
        raise NotFound("Unknown link.")
    services.touch_engaged(touch_id=UUID(touch_id), kind="click")
    return HttpResponseRedirect(url)


@router.get(
    "/t/{token}/unsubscribe/",
    auth=None,
    response={200: None, 404: ErrorOut},
    summary="The opt-out link of a campaign e-mail: no more e-mails to this address",
    throttle=ScopedRateLimit("public_form"),
    openapi_extra=plain_text("A confirmation sentence"),
)
@reads_raw_request
def track_unsubscribe(request: HttpRequest, token: str):
    touch_id, _ = _touch_of(token)
    if services.touch_engaged(touch_id=UUID(touch_id), kind="unsubscribe") is None:
        raise NotFound("Unknown link.")
    return HttpResponse("You will get no more e-mails from us at this address.", content_type="text/plain")


# A transparent 1x1 GIF.
PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


@router.get(
    "/t/{token}/open/",
    auth=None,
    response={200: None},
    summary="The open pixel of a campaign e-mail: records the first open (machines noted), answers a 1x1 GIF",
    throttle=ScopedRateLimit("public_form"),
    openapi_extra=download("A 1x1 GIF", "image/gif"),
)
@reads_raw_request
def track_open(request: HttpRequest, token: str):
    # Whatever the token, the same image: a mail client shows nothing broken.
    read = tracking_read(token)
    if read is not None and read[1] == OPEN_MARK:
        services.touch_opened(touch_id=UUID(read[0]), machine=machine_open(request))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    return response


# Inbound replies (providers' webhooks) ----------------------------------------------------


@router.post(
    "/inbound/{provider}/",
    auth=QueryToken("MESSAGING_CALLBACK_TOKEN"),
    response={204: None, 400: ErrorOut, 401: ErrorOut},
    summary="Inbound messages of a provider (twilio, whatsapp, email): replies to campaign and sequence messages",
    throttle=ScopedRateLimit("messaging_callback"),
    openapi_extra={"x-permission": "the provider (?token=MESSAGING_CALLBACK_TOKEN)"},
)
@reads_raw_request
def inbound_reply(request: HttpRequest, provider: str):
    import json

    from domus.communications.api import callback_signature_valid

    if provider not in ("twilio", "whatsapp", "email"):
        raise ValidationFailed("Unknown provider.", errors={"provider": ["Use twilio, whatsapp or email."]})
    if provider in ("twilio", "whatsapp") and not callback_signature_valid(request, provider):
        raise AuthenticationFailed("Bad callback signature.")
    if provider == "twilio":
        payload = request.POST
    else:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            raise ValidationFailed("The body is not JSON.") from None
        if not isinstance(payload, dict):
            raise ValidationFailed("The body must be a JSON object.", errors={"body": ["Expected an object."]})
    try:
        replies = services.replies_from_payload(provider, payload)
    except (AttributeError, TypeError, ValueError):
        raise ValidationFailed("Unexpected body shape.", errors={"body": ["Not the provider's shape."]}) from None
    for channel, address, text, in_reply_to in replies:
        if channel == "sms" and address and communications_services.is_stop_reply(text):
            # A STOP reply: that number gets no more texts (campaigns or notices).
            communications_services.optout_record(channel=channel, address=address, reason="STOP reply.")
        services.reply_received(channel=channel, address=address, text=text, in_reply_to=in_reply_to)
    return Status(204, None)
