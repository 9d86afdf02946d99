"""ASGI entry point: HTTP and WebSocket in one process (``make run``; production runs
it for WebSockets only, see docs/deployment.md). It refuses to start while a system or
deployment check reports an Error, and freezes what it loaded out of the garbage collector's
reach (``domus.core.startup``)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from domus.communications.middleware import BrowserOriginValidator  # noqa: E402
from domus.core.startup import prepare_to_serve, refuse_to_start_on_errors  # noqa: E402
from domus.routing import websocket_urlpatterns  # noqa: E402

refuse_to_start_on_errors()

if settings.SCHEDULE_IN_PROCESS:
    from domus.celery import embedded_beat

    embedded_beat(str(settings.BASE_DIR / "var" / "celerybeat-schedule")).start()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": BrowserOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
prepare_to_serve()
