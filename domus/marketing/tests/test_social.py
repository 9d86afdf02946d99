"""Social posts: drafts, scheduled posts published by the beat, generated from a
listing; the HTTP adapter faked at its boundary (respx), with errors and retries kept."""

from datetime import timedelta

import httpx
import pytest
import respx
from django.utils import timezone

from domus.marketing import services
from domus.marketing.models import SocialPost
from domus.properties.tests.factories import ListingFactory

POSTS = "/api/v1/social/posts"
HOOK = "https://social.example.test/facebook/posts"


@pytest.fixture
def facebook(settings):
    settings.SOCIAL_ENDPOINTS = {**settings.SOCIAL_ENDPOINTS, "facebook": HOOK}
    settings.SOCIAL_TOKENS = {**settings.SOCIAL_TOKENS, "facebook": "secret"}


def test_a_post_from_a_listing_goes_to_the_outbox_by_default(client_for, staff, company, agent):
    listing = ListingFactory(company=company, agent=agent, owner=agent, title="Garden flat", price="250000.00")
    response = client_for(staff).post_json(
        POSTS, {"network": "instagram", "listing_id": str(listing.pk), "publish_now": True}
    )
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["status"] == "published"
    assert post["provider"] == "outbox"
    assert post["text"] == "Garden flat in Nairobi: 250000.00 KES."
    assert post["link"].endswith(f"/api/v1/properties/listings/{listing.pk}/")
    listed = client_for(staff).get(POSTS).json()
    assert [p["id"] for p in listed["results"]] == [post["id"]]


def test_a_draft_stays_a_draft_and_a_scheduled_post_waits_for_its_time(client_for, staff):
    api = client_for(staff)
    draft = api.post_json(POSTS, {"network": "linkedin", "text": "Coming soon"}).json()
    assert draft["status"] == "draft"
    at = timezone.now() + timedelta(hours=2)
    scheduled = api.post_json(POSTS, {"network": "linkedin", "text": "Open house", "scheduled_at": at.isoformat()})
    assert scheduled.json()["status"] == "scheduled"
    assert services.social_posts_publish_due(now=timezone.now()) == 0
    assert services.social_posts_publish_due(now=at + timedelta(minutes=1)) == 1
    assert SocialPost.objects.get(pk=scheduled.json()["id"]).status == "published"
    assert SocialPost.objects.get(pk=draft["id"]).status == "draft"


@respx.mock
def test_the_network_is_called_over_http_and_failures_are_retried(client_for, staff, facebook):
    route = respx.post(HOOK).mock(
        side_effect=[httpx.Response(503, json={"message": "busy"}), httpx.Response(200, json={"id": "fb_123"})]
    )
    response = client_for(staff).post_json(POSTS, {"network": "facebook", "text": "New listing", "publish_now": True})
    post = response.json()
    assert (post["status"], post["attempts"]) == ("scheduled", 1)
    assert post["error"] == "Network answered 503: busy"
    assert route.calls[0].request.headers["Authorization"] == "Bearer secret"
    services.social_posts_publish_due(now=timezone.now() + timedelta(hours=1))
    stored = SocialPost.objects.get(pk=post["id"])
    assert (stored.status, stored.external_id, stored.provider, stored.error) == (
        "published",
        "fb_123",
        "facebook",
        "",
    )


@respx.mock
def test_a_rejected_post_fails_at_once_and_can_be_retried(client_for, staff, facebook):
    respx.post(HOOK).mock(
        side_effect=[
            httpx.Response(400, json={"error": {"message": "Bad text"}}),
            httpx.Response(200, json={"id": "9"}),
        ]
    )
    api = client_for(staff)
    post = api.post_json(POSTS, {"network": "facebook", "text": "x", "publish_now": True}).json()
    assert post["status"] == "failed"
    assert post["error"] == "Network answered 400: Bad text"
    retried = api.post_json(f"/api/v1/marketing/social/posts/{post['id']}/retry/")
    assert retried.status_code == 200, retried.content
    assert retried.json()["status"] == "published"


def test_unknown_networks_and_empty_posts_are_refused(client_for, staff):
    api = client_for(staff)
    assert api.post_json(POSTS, {"network": "myspace", "text": "x"}).status_code == 400
    assert api.post_json(POSTS, {"network": "facebook"}).status_code == 400
    assert not SocialPost.objects.exists()
