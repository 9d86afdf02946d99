"""Domus' settings with less middleware, for ``floor.py``: a measurement, never a way
to run Domus.

- ``FLOOR_WITHOUT`` unset: only the middleware that routes an API request ("Domus
  without its middleware": no request ids, CORS, security headers, host validation,
  envelope or metrics);
- ``FLOOR_WITHOUT=<class name>``: every middleware of ``MIDDLEWARE`` but that one (what
  it adds to a request's CPU)."""

import os

from domus.settings import *  # noqa: F403
from domus.settings import MIDDLEWARE as _ALL

_WITHOUT = os.environ.get("FLOOR_WITHOUT")
ROUTING = [
    "domus.core.middleware.ApiPathMiddleware",  # /api/v1/health/ -> its canonical path
    "domus.web.middleware.WebPagesMiddleware",  # the start-up checks look for it
]
MIDDLEWARE = [path for path in _ALL if path.rpartition(".")[2] != _WITHOUT] if _WITHOUT else ROUTING
