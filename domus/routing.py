"""WebSocket routes of the ASGI application (``/ws/`` and the streams)."""

from django.urls import URLPattern, re_path

from domus.assistant.consumers import ChatStreamConsumer, MLStreamConsumer
from domus.communications.consumers import RealtimeConsumer
from domus.communications.middleware import JWTAuthMiddleware

websocket_urlpatterns: list[URLPattern] = [
    # JWT from ?token= or Sec-WebSocket-Protocol; the consumer refuses anonymous sockets.
    re_path(r"^ws/?$", JWTAuthMiddleware(RealtimeConsumer.as_asgi())),
    # The assistant's streams, at the CRM's paths (under /api/v1/, /api/ or bare).
    re_path(
        r"^(?:api/(?:v1/)?)?chat/stream/(?P<session_id>[0-9a-fA-F-]{32,36})/?$",
        JWTAuthMiddleware(ChatStreamConsumer.as_asgi()),
    ),
    re_path(r"^(?:api/(?:v1/)?)?ml/stream/?$", JWTAuthMiddleware(MLStreamConsumer.as_asgi())),
]
