"""API path normalisation: ``/api/<path>`` and ``/api/v1/<path>``, with or without a
trailing slash, and every alias of an original system's path (``domus/api_compat.py``),
resolve to one canonical ``/api/v1/<path>/``."""

import re
from dataclasses import dataclass
from functools import cache, cached_property

from django.conf import settings
from django.utils.module_loading import import_string

API_PREFIX = "/api/"
CANONICAL_PREFIX = "/api/v1/"
_PLACEHOLDER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class Alias:
    """A path of an original system (``auth/login``, ``users/<id>``) served by a canonical
    operation. ``system`` is the key of the system it comes from (``/``-separated when
    several share it; see docs/compatibility.md)."""

    path: str
    canonical: str
    system: str = ""

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(_PLACEHOLDER.sub(r"(?P<\1>[^/]+)", re.escape(self.path)))

    def rewrite(self, rest: str) -> str | None:
        match = self.pattern.fullmatch(rest)
        if match is None:
            return None
        return _PLACEHOLDER.sub(lambda m: match.group(m.group(1)), self.canonical)


@cache
def aliases() -> tuple[Alias, ...]:
    return tuple(import_string(settings.API_ALIASES))


def canonical_path(path: str) -> str:
    """The canonical path of an API request path (``/api/auth/login`` ->
    ``/api/v1/accounts/auth/token/``). Non-API paths come back unchanged."""
    if not path.startswith(API_PREFIX):
        return path
    rest = path[len(API_PREFIX) :]
    if rest == "v1" or rest.startswith("v1/"):
        rest = rest[2:]
    rest = rest.strip("/")
    for alias in aliases():
        rewritten = alias.rewrite(rest)
        if rewritten is not None:
            rest = rewritten
            break
    return f"{CANONICAL_PREFIX}{rest}/" if rest else CANONICAL_PREFIX
