"""Posts to social networks behind one interface.

``social_adapter_for(network).publish(text=..., link=..., media=[...])`` answers a
``PublishResult`` or raises ``PublishFailed`` (``retryable``: timeouts, 429 and 5xx).
A network with ``SOCIAL_<NETWORK>_URL`` (and its ``SOCIAL_<NETWORK>_TOKEN``) set is
posted to over HTTP: a JSON ``POST {text, link, media}`` with a bearer token, answered
with the post's ``id`` (the endpoint is the network's publishing API or a bridge to
it). Any other network, the embedded default, goes to the local outbox: the post is
logged and kept as published locally, and no outside service is called.
"""

import logging
from dataclasses import dataclass
from typing import Protocol

import httpx
from django.conf import settings

from domus.core.ids import uuid7

logger = logging.getLogger("domus.integrations.social")


@dataclass(frozen=True)
class PublishResult:
    provider: str
    external_id: str


class PublishFailed(Exception):
    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class SocialAdapter(Protocol):
    name: str

    def publish(self, *, text: str, link: str = "", media: list[str] | None = None) -> PublishResult: ...


class OutboxSocialAdapter:
    name = "outbox"

    def __init__(self, network: str) -> None:
        self.network = network

    def publish(self, *, text: str, link: str = "", media: list[str] | None = None) -> PublishResult:
        external_id = f"outbox-{uuid7()}"
        logger.info("outbox %s post: %s", self.network, text[:80], extra={"id": external_id})
        return PublishResult(provider=self.name, external_id=external_id)


class HttpSocialAdapter:
    def __init__(self, network: str, url: str, token: str) -> None:
        self.name = network
        self.url, self.token = url, token

    def publish(self, *, text: str, link: str = "", media: list[str] | None = None) -> PublishResult:
        try:
            response = httpx.post(
                self.url,
                json={"text": text, "link": link, "media": media or []},
                headers={"Authorization": f"Bearer {self.token}"},
                timeout=float(getattr(settings, "MESSAGING_TIMEOUT_SECONDS", 10)),
            )
        except httpx.HTTPError as exc:
            raise PublishFailed(f"Network unreachable: {exc.__class__.__name__}", retryable=True) from exc
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            retryable = response.status_code == 429 or response.status_code >= 500
            detail = data.get("message") or (data.get("error") or {})
            if isinstance(detail, dict):
                detail = detail.get("message", "")
            raise PublishFailed(f"Network answered {response.status_code}: {detail}".strip(), retryable=retryable)
        external_id = str(data.get("id") or data.get("post_id") or "")
        if not external_id:
            raise PublishFailed("Network answered without a post id.", retryable=False)
        return PublishResult(provider=self.name, external_id=external_id)


def social_adapter_for(network: str) -> SocialAdapter:
    url = settings.SOCIAL_ENDPOINTS.get(network, "")
    token = settings.SOCIAL_TOKENS.get(network, "")
    if url and token:
        return HttpSocialAdapter(network, url, token)
    return OutboxSocialAdapter(network)
