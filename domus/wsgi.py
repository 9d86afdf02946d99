"""WSGI entry point: production HTTP workers (see docs/deployment.md)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

application = get_wsgi_application()
