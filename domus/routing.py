"""WebSocket routes of the ASGI application (``/ws/`` and the streams)."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
