"""The route reference of the API, read from the live URL conf: every Ninja operation
at its canonical path, and every alias of an original system's path
(``domus.core.routing.aliases()``) with the operation it serves. ``manage.py generate_api_routes`` renders it as
``docs/API_ROUTES.md``; ``GET /api/v1/ops/routes/<app>/`` answers a part of it."""

import inspect
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.exceptions import Resolver404
from ninja import NinjaAPI
from ninja.operation import Operation
from ninja.utils import normalize_path, replace_path_param_notation

from domus.core.routing import CANONICAL_PREFIX, Alias, aliases

PUBLIC = "public"
AUTHENTICATED = "authenticated"
UNROUTED = "No operation answers the canonical path of this alias."
METHOD_ORDER = {method: index for index, method in enumerate(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"))}
# Path parameters as the docs show them: "{int:id}" -> "{id}", "<id>" -> "{id}".
_NINJA_PARAM = re.compile(r"\{(?:\w+:)?(\w+)\}")
_ALIAS_PARAM = re.compile(r"<(\w+)>")
# Values tried for an alias's placeholders when resolving its canonical path: one fits
# each of Django's converters (str, slug, uuid, path; int).
_SAMPLE_VALUES = ("00000000-0000-0000-0000-000000000000", "1")


@dataclass(frozen=True)
class Route:
    """One method of one API path. ``alias_of`` is ``None`` on canonical routes and the
    canonical path on alias routes; ``system`` is the key of the original system an
    alias's path comes from (``Alias.system``), empty on canonical routes."""

    method: str
    path: str
    alias_of: str | None
    permission: str
    summary: str
    system: str = ""
    # The path of the operation serving the row, as the OpenAPI schema names it
    # (``/api/v1/accounts/users/{user_id}/``); empty for an alias nothing serves.
    operation: str = field(default="", compare=False)


def route_table(*, urlconf: str | None = None, alias_list: Sequence[Alias] | None = None) -> list[Route]:
    """Every API operation of ``urlconf`` (the live one by default) and every alias of
    ``alias_list`` (the configured ones by default), sorted by path then method."""
    canonical: dict[str, list[Route]] = {}  # Django route -> the routes of its operations
    for route, operation in _operations(get_resolver(urlconf)):
        canonical.setdefault(replace_path_param_notation(route), []).extend(
            Route(
                method=method,
                path=_NINJA_PARAM.sub(r"{\1}", f"/{route}"),
                alias_of=None,
                permission=permission_of(operation),
                summary=operation.summary or "",
                operation=_NINJA_PARAM.sub(r"{\1}", f"/{route}"),
            )
            for method in operation.methods
        )
    rows = [row for rows in canonical.values() for row in rows]
    for alias in aliases() if alias_list is None else alias_list:
        rows.extend(_alias_rows(alias, canonical, urlconf))
    return sorted(rows, key=lambda row: (row.path, METHOD_ORDER.get(row.method, len(METHOD_ORDER)), row.method))


def permission_of(operation: Operation) -> str:
    """The operation's ``x-permission`` annotation when it has one; else ``public``
    when an anonymous caller gets through its authentication; else ``authenticated``."""
    annotated = (operation.openapi_extra or {}).get("x-permission")
    if annotated:
        return str(annotated)
    return PUBLIC if admits_anonymous(operation) else AUTHENTICATED


def admits_anonymous(operation: Operation) -> bool:
    """Whether a request without credentials passes the operation's authentication
    (``auth=None``, or a fallback like ``optional_auth``'s anonymous callback)."""
    if not operation.auth_callbacks:
        return True
    request = HttpRequest()  # no headers, cookies or query: no credentials
    request.user = AnonymousUser()
    return any(_authenticates(callback, request) for callback in operation.auth_callbacks)


def _authenticates(callback, request: HttpRequest) -> bool:
    try:
        result = callback(request)
    except Exception:  # refusing the request is an answer too: not anonymous-capable
        return False
    if inspect.iscoroutine(result):  # an async authenticator: treat as credential-bound
        result.close()
        return False
    return bool(result)


def _operations(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, Operation]]:
    """``(route, operation)`` for every operation of every NinjaAPI in ``resolver``;
    ``route`` is the full Django route with Ninja's ``{param}`` notation."""
    for pattern in resolver.url_patterns:
        if not isinstance(pattern, URLResolver):
            continue
        route = prefix + str(pattern.pattern)
        api = _ninja_api(pattern)
        if api is None:
            yield from _operations(pattern, route)
            continue
        # The same bound routers Ninja builds its URL patterns and OpenAPI schema from.
        for bound in api._get_bound_routers():
            for path, path_view in bound.path_operations.items():
                operation_route = normalize_path("/".join(part for part in (bound.prefix, path) if part)).lstrip("/")
                for operation in path_view.operations:
                    yield route + operation_route, operation


def _ninja_api(resolver: URLResolver) -> NinjaAPI | None:
    """The NinjaAPI behind an ``api.urls`` include, found through its root view."""
    if resolver.app_name != "ninja":
        return None
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLPattern) and pattern.name == "api-root":
            api = getattr(pattern.callback, "keywords", {}).get("api")
            if isinstance(api, NinjaAPI):
                return api
    return None


def _alias_rows(alias: Alias, canonical: dict[str, list[Route]], urlconf: str | None) -> list[Route]:
    """One row per method of the operation the alias's canonical path resolves to."""
    path = _alias_path(alias.path)
    targets = canonical.get(_resolved_route(alias.canonical, urlconf, canonical) or "", [])
    if not targets:
        return [
            Route(
                method="",
                path=path,
                alias_of=_alias_path(alias.canonical),
                permission="",
                summary=UNROUTED,
                system=alias.system,
            )
        ]
    alias_of = _concrete_target(alias.canonical, targets[0].path)
    return [
        Route(
            method=t.method,
            path=path,
            alias_of=alias_of,
            permission=t.permission,
            summary=t.summary,
            system=alias.system,
            operation=t.path,
        )
        for t in targets
    ]


def _alias_path(relative: str) -> str:
    """``users/<id>`` -> ``/api/v1/users/{id}/``."""
    braced = _ALIAS_PARAM.sub(r"{\1}", relative)
    return f"{CANONICAL_PREFIX}{braced}/"


def _resolved_route(relative: str, urlconf: str | None, operation_routes: Container[str]) -> str | None:
    """The route of the operation that serves ``/api/v1/<relative>/`` (placeholders
    filled with sample values), as Django resolves it: the first match wins."""
    for sample in _SAMPLE_VALUES:
        filled = _ALIAS_PARAM.sub(sample, relative)
        try:
            route = get_resolver(urlconf).resolve(f"{CANONICAL_PREFIX}{filled}/").route
        except Resolver404:
            continue
        if route in operation_routes:
            return route
    return None


def _concrete_target(relative: str, operation_path: str) -> str:
    """The operation's path with the alias's fixed segments kept: the alias
    ``accounts/auth/routes`` -> ``ops/routes/accounts`` serves ``/api/v1/ops/routes/accounts/``
    of ``/api/v1/ops/routes/{app}/``."""
    wanted = relative.strip("/").split("/")
    served = operation_path.removeprefix(CANONICAL_PREFIX).strip("/").split("/")
    if len(wanted) != len(served):
        return operation_path
    segments = [
        mine if _ALIAS_PARAM.fullmatch(mine) is None else theirs for mine, theirs in zip(wanted, served, strict=True)
    ]
    return f"{CANONICAL_PREFIX}{'/'.join(segments)}/"


def routes_under(prefix: str, rows: Sequence[Route]) -> list[Route]:
    """The rows at or aliased to a path under ``prefix`` (``/api/v1/accounts/``)."""
    return [row for row in rows if row.path.startswith(prefix) or (row.alias_of or "").startswith(prefix)]


def render_markdown(rows: Sequence[Route]) -> str:
    """``docs/API_ROUTES.md``: a short explanation, then one table row per route."""
    operations = sum(1 for row in rows if row.alias_of is None)
    alias_rows = len(rows) - operations
    lines = [
        "# API routes",
        "",
        "Generated from the live URL conf by `python manage.py generate_api_routes`; do not edit it by hand",
        "(`python manage.py generate_api_routes --check` fails when this file is stale).",
        "",
        "- A **canonical** route (empty *Alias of*) is an operation at its home, `/api/v1/<app>/...`.",
        "- An **alias** is a path of one of the original systems Domus replaces (`domus/api_compat.py`;",
        "  the systems and their differences are in [compatibility.md](compatibility.md)) that serves the",
        "  canonical operation in *Alias of*: the same methods, body, answers and permission. *System*",
        "  names the system the path comes from (`realty-mpesa`, `rems`, `crm`, `stats-comms`, `backoffice`).",
        "- Every path also works without `/v1` (`/api/...`) and without the trailing slash.",
        "- *Permission*: `public` needs no token, `authenticated` needs any signed-in user; other values",
        "  name who may call the operation (`admin` is a platform admin).",
        "- WebSocket: `/ws/` (the real-estate management system's path), served by the same ASGI process,",
        "  JWT in `?token=` or `Sec-WebSocket-Protocol`; its channels and frames are in",
        "  [communications.md](communications.md).",
        "",
        f"{operations} operations, {alias_rows} alias routes.",
        "",
        "| Method | Path | Alias of | System | Permission | Summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        cells = [
            f"`{row.method}`" if row.method else "",
            f"`{row.path}`",
            f"`{row.alias_of}`" if row.alias_of else "",
            row.system.replace("/", ", "),
            row.permission,
            row.summary,
        ]
        lines.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
