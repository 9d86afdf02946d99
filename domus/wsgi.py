"""WSGI entry point: production HTTP workers (see docs/deployment.md). It refuses to start while a
system or deployment check reports an Error, and freezes what it loaded out of the garbage
collector's reach (``domus.core.startup``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

application = get_wsgi_application()

from domus.core.startup import prepare_to_serve, refuse_to_start_on_errors  # noqa: E402

refuse_to_start_on_errors()
prepare_to_serve()
