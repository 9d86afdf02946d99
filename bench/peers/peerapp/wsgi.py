"""WSGI entry point of the peer apps (``PEER=ninja`` or ``PEER=drf``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerapp.settings")
application = get_wsgi_application()
