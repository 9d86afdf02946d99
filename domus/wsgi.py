"""WSGI entry point: production HTTP workers (see docs/deployment.md). It refuses to start while a
system or deployment check reports an Error (``domus.core.startup``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "domus.settings")

application = get_wsgi_application()

from domus.core.startup import refuse_to_start_on_errors  # noqa: E402

refuse_to_start_on_errors()
