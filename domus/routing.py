"""WebSocket routes of the ASGI application (``/ws/`` and the streams)."""

from django.urls import URLPattern, re_path

from domus.communications.consumers import RealtimeConsumer
from domus.communications.middleware import JWTAuthMiddleware

websocket_urlpatterns: list[URLPattern] = [
    # JWT from ?token= or Sec-WebSocket-Protocol; the consumer refuses anonymous sockets.
    re_path(r"^ws/?$", JWTAuthMiddleware(RealtimeConsumer.as_asgi())),
]
