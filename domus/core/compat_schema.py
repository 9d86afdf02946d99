"""The OpenAPI schema of each original system Domus replaces, ``GET /api/compat/<system>/schema/``:
the system's own paths (its aliases in ``domus/api_compat.py`` and the canonical paths its
clients call as they are), each with the operation Domus serves there, its bodies and
answers, generated from the live routes (``domus.core.route_table``) and the canonical
schema. A client generated from it calls the system's paths; ``/api/schema/`` stays the
canonical API (docs/compatibility.md)."""

import copy
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import URLResolver, get_resolver
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.responses import NinjaJSONEncoder
from pydantic import AliasChoices

from domus.core.errors import error_response
from domus.core.route_table import Route, _alias_path, _ninja_api, route_table
from domus.core.routing import CANONICAL_PREFIX, Alias, aliases
from domus.core.schemas import VALUE_ALIASES, Input, declared_body_aliases

ENVELOPE_HEADER = "X-Response-Envelope"
_BRACED = re.compile(r"^\{(\w+)\}$")
_PLACEHOLDER = re.compile(r"^<(\w+)>$")
_REF = "#/components/schemas/"


@dataclass(frozen=True)
class System:
    """One original system: its key (``Alias.system``), what it is, how its clients write
    paths (``prefix``; a trailing slash, or none except on the ``slashed`` paths), the
    canonical paths (relative, ``<x>`` for any parameter, a last ``*`` for every path under)
    its clients call as they are, and
    the response envelope its clients may ask for."""

    key: str
    title: str
    prefix: str = CANONICAL_PREFIX
    trailing_slash: bool = True
    slashed: tuple[str, ...] = ()
    canonical: tuple[str, ...] = ()
    envelope: str = ""


@cache
def systems() -> dict[str, System]:
    return {system.key: system for system in import_string(settings.API_COMPAT_SYSTEMS)}


@dataclass(frozen=True)
class SystemOperation:
    """One method at one path of a system, and the operation (``operation``, as the canonical
    schema names its path) that serves it. ``renames`` maps the operation's path parameters
    to the system's names; ``fixed`` holds those the system's path fixes to a value."""

    method: str
    path: str
    operation: str
    renames: dict[str, str]
    fixed: dict[str, str]


def system_operations(system: System, rows: Sequence[Route] | None = None) -> list[SystemOperation]:
    """Every operation at the system's paths, in the order of the route table."""
    rows = route_table() if rows is None else rows
    found: list[SystemOperation] = []
    for alias in aliases():
        if system.key not in alias.system.split("/"):
            continue
        alias_path = _alias_path(alias.path)
        for row in rows:
            if row.path == alias_path and row.alias_of is not None and row.operation:
                found.append(_aliased(system, alias, row))
    for pattern in system.canonical:
        for row in rows:
            if row.alias_of is None and _matches(pattern, row.path):
                relative = row.path.removeprefix(CANONICAL_PREFIX).strip("/")
                found.append(SystemOperation(row.method, _system_path(system, relative), row.operation, {}, {}))
    return found


def _aliased(system: System, alias: Alias, row: Route) -> SystemOperation:
    renames: dict[str, str] = {}
    fixed: dict[str, str] = {}
    wanted = alias.canonical.split("/")
    served = row.operation.removeprefix(CANONICAL_PREFIX).strip("/").split("/")
    if len(wanted) == len(served):
        for mine, theirs in zip(wanted, served, strict=True):
            param = _BRACED.match(theirs)
            if param is None:
                continue
            placeholder = _PLACEHOLDER.match(mine)
            if placeholder is None:
                fixed[param.group(1)] = mine
            else:
                renames[param.group(1)] = placeholder.group(1)
    relative = "/".join(
        f"{{{m.group(1)}}}" if (m := _PLACEHOLDER.match(part)) else part for part in alias.path.split("/")
    )
    return SystemOperation(row.method, _system_path(system, relative), row.operation, renames, fixed)


def _matches(pattern: str, path: str) -> bool:
    mine = pattern.strip("/").split("/")
    theirs = path.removeprefix(CANONICAL_PREFIX).strip("/").split("/")
    if mine[-1] == "*":  # "app/*": every path under app/
        return theirs[: len(mine) - 1] == mine[:-1] and len(theirs) >= len(mine)
    return len(mine) == len(theirs) and all(
        (_PLACEHOLDER.match(a) is not None and _BRACED.match(b) is not None) or a == b
        for a, b in zip(mine, theirs, strict=True)
    )


def _system_path(system: System, relative: str) -> str:
    slash = system.trailing_slash or relative.startswith(system.slashed)
    return f"{system.prefix}{relative}{'/' if slash else ''}"


def build_system_schema(system: System, canonical: dict[str, Any], operations: Sequence[SystemOperation]) -> dict:
    """The OpenAPI document of ``system`` from the canonical schema and its operations."""
    paths: dict[str, dict[str, Any]] = {}
    ids: set[str] = set()
    for op in operations:
        source = canonical["paths"].get(op.operation, {}).get(op.method.lower())
        if source is None or op.method.lower() in paths.get(op.path, {}):
            continue
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(system, op, source, ids)
    components = canonical.get("components", {})
    every = components.get("schemas", {})
    schemas = _reachable(paths, every)
    _declare_aliases(paths, schemas)
    _widen_values(paths)
    _widen_values(schemas)
    schemas = {**_reachable(schemas, every), **schemas}  # what the declared spellings refer to
    return {
        "openapi": canonical["openapi"],
        "info": {
            "title": f"Domus API as {system.title} ({system.key})",
            "version": canonical["info"]["version"],
            "description": (
                f"The paths of {system.title} as Domus serves them: each runs the Domus operation "
                "named in `x-domus-operation`, with the bodies and answers below (field spellings of "
                "that system's clients are accepted where listed). Every path also answers with or "
                "without `/v1` and the trailing slash. The canonical API is `/api/schema/`."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {**components, "schemas": schemas},
    }


def _operation(system: System, op: SystemOperation, source: dict[str, Any], ids: set[str]) -> dict[str, Any]:
    operation = copy.deepcopy(source)
    operation["operationId"] = _operation_id(op, ids)
    operation["x-domus-operation"] = f"{op.method} {op.operation}"
    parameters = []
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path":
            if parameter["name"] in op.fixed:
                continue
            parameter["name"] = op.renames.get(parameter["name"], parameter["name"])
        parameters.append(parameter)
    if system.envelope:
        parameters.append(
            {
                "in": "header",
                "name": ENVELOPE_HEADER,
                "required": False,
                "schema": {"type": "string", "enum": [system.envelope]},
                "description": (
                    f"`{system.envelope}`: the answer comes wrapped, `{{status, data, message}}` on success "
                    "and `{status, error: {code, message, details}}` on error (the schemas below are what "
                    "`data` and the error's fields hold)."
                ),
            }
        )
    operation.pop("parameters", None)
    if parameters:
        operation["parameters"] = parameters
    for response in operation.get("responses", {}).values():
        response.pop("links", None)  # they name canonical operations and parameters
    return operation


def _operation_id(op: SystemOperation, ids: set[str]) -> str:
    relative = op.path.removeprefix(CANONICAL_PREFIX).removeprefix("/api/").strip("/")
    words = re.sub(r"\{(\w+)\}", r"by_\1", relative)
    base = re.sub(r"[^0-9A-Za-z]+", "_", f"{op.method.lower()}_{words}").strip("_")
    candidate, counter = base, 2
    while candidate in ids:
        candidate, counter = f"{base}_{counter}", counter + 1
    ids.add(candidate)
    return candidate


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref.removeprefix(_REF)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The component schemas the paths use, directly or through other components (copied)."""
    todo, kept = list(_refs(paths)), {}
    while todo:
        name = todo.pop()
        if name in kept or name not in schemas:
            continue
        kept[name] = copy.deepcopy(schemas[name])
        todo.extend(_refs(kept[name]))
    return dict(sorted(kept.items()))


def _input_models() -> dict[str, type[Input]]:
    models: dict[str, type[Input]] = {}
    todo: list[type[Input]] = [Input]
    while todo:
        model = todo.pop()
        models.setdefault(model.__name__, model)
        todo.extend(model.__subclasses__())
    return models


def _declare_aliases(paths: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Each request body's declared spellings (``validation_alias=AliasChoices(...)`` and the
    keys its ``body_alias`` rewrites accept) as properties of its schema, so a client
    validating against the schema may send them; a required field with another spelling is
    then required as either (stated in its description)."""
    bodies = {
        name
        for item in paths.values()
        for operation in item.values()
        for name in _refs(operation.get("requestBody", {}))
    }
    models = _input_models()
    seen: set[str] = set()
    todo = list(bodies)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
        model = models.get(name)
        properties = schemas[name].get("properties")
        if model is None or not isinstance(properties, dict):
            continue
        required = schemas[name].get("required", [])
        accepts, replaces = declared_body_aliases(model)
        for key, fragment in accepts.items():
            properties.setdefault(key, {**fragment, "description": f"Accepted: {fragment.get('description', key)}"})
        for field_name in replaces:
            if field_name in required:
                required.remove(field_name)
                properties[field_name] = {
                    **properties[field_name],
                    "description": f"Required unless {', '.join(f'`{k}`' for k in accepts)} stand in for it.",
                }
        for field_name, field in model.model_fields.items():
            choices = field.validation_alias
            if not isinstance(choices, AliasChoices) or field_name not in properties:
                continue
            spellings = [c for c in choices.choices if isinstance(c, str) and c != field_name]
            for spelling in spellings:
                properties.setdefault(
                    spelling, {**properties[field_name], "description": f"Accepted for `{field_name}`."}
                )
            if spellings and field_name in required:
                required.remove(field_name)
                named = ", ".join(f"`{s}`" for s in spellings)
                properties[field_name] = {
                    **properties[field_name],
                    "description": f"Required (or one of {named}).",
                }
        if "required" in schemas[name] and not required:
            del schemas[name]["required"]


def _widen_values(node: Any) -> None:
    """Every schema with ``x-value-aliases`` also takes those values (``anyOf``)."""
    if isinstance(node, dict):
        for value in node.values():
            _widen_values(value)
        extra = node.pop(VALUE_ALIASES, None)
        if extra:
            original = {key: value for key, value in node.items() if key not in ("description", "default", "title")}
            for key in original:
                del node[key]
            node["anyOf"] = [original, {"type": "string", "enum": list(extra)}]
    elif isinstance(node, list):
        for value in node:
            _widen_values(value)


def _live_api() -> NinjaAPI | None:
    def walk(resolver: URLResolver) -> Iterator[NinjaAPI]:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                api = _ninja_api(pattern)
                if api is not None:
                    yield api
                else:
                    yield from walk(pattern)

    return next(walk(get_resolver()), None)


@cache
def _canonical_schema() -> dict[str, Any] | None:
    """The canonical schema as ``/api/schema/`` serves it (built once per process)."""
    api = _live_api()
    return None if api is None else json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


@cache
def system_schema(key: str) -> dict[str, Any] | None:
    """The schema of the system ``key`` (built once per process), or None for an unknown key."""
    system = systems().get(key)
    canonical = _canonical_schema() if system is not None else None
    if system is None or canonical is None:
        return None
    return build_system_schema(system, canonical, system_operations(system))


@csrf_exempt  # a POST gets the 405 in the error shape, not a CSRF page
def compat_schema_view(request: HttpRequest, system: str) -> JsonResponse:
    """``GET /api/compat/<system>/schema/``."""
    if request.method not in ("GET", "HEAD"):
        response = error_response(405, f"Method {request.method} not allowed.")
        response["Allow"] = "GET"
        return response
    schema = system_schema(system)
    if schema is None:
        known = ", ".join(sorted(systems()))
        return error_response(404, f"No original system {system!r}; one of: {known}.")
    return JsonResponse(schema, json_dumps_params={"ensure_ascii": False})
