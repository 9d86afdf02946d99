"""What every operation of the OpenAPI schema states beyond its own decorator: the error
answers the platform itself can give (with the one error schema), optional bodies that are
objects (never ``null``), form bodies closed to undeclared fields, text without NUL
characters, and OpenAPI links from each create operation to the operations
that take the created id.

The error statuses follow from what the shared layers do, not from each operation:
- 400: any request (malformed JSON, a NUL character, a bad query value, a body that fails
  validation, an Idempotency-Key that is too long);
- 401 and 403: any operation that declares a security requirement (a missing, expired or
  revoked token; a role or scope that may not call it);
- 404: any operation with a path parameter (fetch-and-authorize answers 404 for a row the
  caller may not see), and any operation that takes an id in its query or body (a query
  parameter or top-level body field named ``*_id``/``*_ids``): an id naming no row the
  caller may use there is a 404 wherever it is given (``domus.core.exceptions.UnknownReference``);
- 409: any write (a constraint, a state transition, a reused Idempotency-Key);
- 413: any operation with a request body (``DATA_UPLOAD_MAX_MEMORY_SIZE``);
- 429: every operation (``domus.core.throttling``);
- 503: every operation (the database is unavailable: ``domus.core.errors``).

Links let stateful testing (and a reader) follow ``POST /things/`` to
``/things/{thing_id}/...``: the created body's ``id`` fills the new path parameter, and the
path parameters the create operation already had are passed through."""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from decimal import Decimal
from typing import Any

from ninja import NinjaAPI
from ninja.schema import NinjaGenerateJsonSchema

from domus.core.decimal_pattern import decimal_pattern

ERROR_REF = "#/components/schemas/ErrorOut"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Content Too Large",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
_PARAM = re.compile(r"^\{([^}]+)\}$")


def _is_reference(name: str) -> bool:
    return name.endswith(("_id", "_ids"))


def takes_reference(schema: dict[str, Any], operation: dict[str, Any]) -> bool:
    """Whether ``operation`` takes an id in its query or as a top-level body field."""
    if any(p.get("in") == "query" and _is_reference(p.get("name", "")) for p in operation.get("parameters", [])):
        return True
    for media in operation.get("requestBody", {}).get("content", {}).values():
        body = _resolve(schema, media.get("schema"))
        for member in [body, *(_resolve(schema, m) for m in body.get("anyOf", []) + body.get("oneOf", []))]:
            if any(_is_reference(name) for name in member.get("properties", {})):
                return True
    return False


def error_statuses(
    path: str, method: str, operation: dict[str, Any], schema: dict[str, Any] | None = None
) -> list[int]:
    """The error statuses the platform can answer ``operation`` with (see the module doc)."""
    statuses = [400, 429, 503]
    if operation.get("security"):
        statuses += [401, 403]
    if "{" in path or takes_reference(schema or {}, operation):
        statuses.append(404)
    if method in WRITE_METHODS:
        statuses.append(409)
    if "requestBody" in operation:
        statuses.append(413)
    return sorted(statuses)


def add_error_responses(schema: dict[str, Any]) -> None:
    """Declare on each operation every platform error status it lacks, with ``ErrorOut``."""
    for path, item in schema.get("paths", {}).items():
        for method, operation in _operations(item):
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation, schema):
                if status in responses or str(status) in responses:  # Ninja keys them by int
                    continue
                responses[status] = {
                    "description": DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": {"$ref": ERROR_REF}}},
                }


def drop_null_bodies(schema: dict[str, Any]) -> None:
    """An optional body is sent or left out (``required: false``); a JSON ``null`` body is
    refused like any non-object body (``domus.core.parsing``), so the body schema does not
    offer ``null``."""
    for _path, item in schema.get("paths", {}).items():
        for _method, operation in _operations(item):
            for media in operation.get("requestBody", {}).get("content", {}).values():
                body = media.get("schema", {})
                members = body.get("anyOf")
                if not members or {"type": "null"} not in members:
                    continue
                kept = [member for member in members if member != {"type": "null"}]
                media["schema"] = kept[0] if len(kept) == 1 else {**body, "anyOf": kept}


NUL_FREE = "^[^\\u0000]*$"


def forbid_nul(schema: dict[str, Any]) -> None:
    """No text of a request may hold a NUL character (``domus.core.parsing``): every free
    string states it with a pattern, and every object open to more keys with its key names. (Answers
    hold no NUL either: nothing with one is ever stored.)"""

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kinds = node.get("type")
        is_string = kinds == "string" or (isinstance(kinds, list) and "string" in kinds)
        if is_string and not {"pattern", "format", "enum", "const"} & node.keys():
            node["pattern"] = NUL_FREE
        open_object = node.get("type") == "object" or node.get("additionalProperties") not in (None, False)
        if open_object and node.get("additionalProperties") is not False:
            names = node.setdefault("propertyNames", {})
            if not {"pattern", "format", "enum", "const"} & names.keys():
                names["pattern"] = NUL_FREE
        for key, value in node.items():
            if key not in ("propertyNames", "example", "examples", "default"):
                walk(value)

    for name, component in schema.get("components", {}).get("schemas", {}).items():
        if name != ERROR_REF.rsplit("/", 1)[-1]:  # an error may quote what was sent, NUL and all
            walk(component)
    for _path, item in schema.get("paths", {}).items():
        for _method, operation in _operations(item):
            walk(operation.get("parameters", []))
            walk(operation.get("requestBody", {}))


FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def close_forms(schema: dict[str, Any]) -> None:
    """A form body is text fields: it cannot carry a JSON ``null``, so a form that shares
    a JSON body's schema gets a copy without the ``null`` alternatives; and a form field
    an operation does not declare is a 400 (``domus.core.query``), like an unknown JSON
    field, so each form body states ``additionalProperties: false``."""
    for _path, item in schema.get("paths", {}).items():
        for _method, operation in _operations(item):
            for media_type, media in operation.get("requestBody", {}).get("content", {}).items():
                if media_type not in FORMS:
                    continue
                body = media["schema"] = deepcopy(_resolve(schema, media.get("schema")))
                for name, field in body.get("properties", {}).items():
                    members = field.get("anyOf", [])
                    if {"type": "null"} in members:
                        kept = [member for member in members if member != {"type": "null"}]
                        rest = {key: value for key, value in field.items() if key not in ("anyOf", "default")}
                        body["properties"][name] = {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}
                if body.get("type") == "object" and "additionalProperties" not in body:
                    body["additionalProperties"] = False


def _operations(item: dict[str, Any]):
    for method in HTTP_METHODS:
        if isinstance(item.get(method), dict):
            yield method, item[method]


def _resolve(schema: dict[str, Any], node: dict[str, Any] | None) -> dict[str, Any]:
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema.get("components", {}).get("schemas", {}).get(name)
        seen += 1
    return node if isinstance(node, dict) else {}


def _created_answer(schema: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    """The 201 (else 200) answer of a create operation whose JSON body has an ``id``."""
    responses = operation.get("responses", {})
    for status in (201, 200):
        answer = responses.get(status) or responses.get(str(status))
        if not answer:
            continue
        body = _resolve(schema, answer.get("content", {}).get("application/json", {}).get("schema"))
        if "id" in body.get("properties", {}):
            return answer
    return None


def _path_params(path: str) -> list[str]:
    return [m.group(1) for segment in path.split("/") if (m := _PARAM.match(segment))]


def add_links(schema: dict[str, Any]) -> None:
    """Link each ``POST <collection>/`` that answers an object with an ``id`` to every
    operation on ``<collection>/{x_id}/...`` (``{slug}``: the object's ``slug``)."""
    paths = schema.get("paths", {})
    for collection, item in paths.items():
        create = item.get("post")
        if not isinstance(create, dict) or not collection.endswith("/"):
            continue
        answer = _created_answer(schema, create)
        if answer is None:
            continue
        inherited = _path_params(collection)
        created = _resolve(schema, answer.get("content", {}).get("application/json", {}).get("schema"))
        fields = created.get("properties", {})
        links = answer.setdefault("links", {})
        for target, target_item in paths.items():
            rest = target[len(collection) :] if target.startswith(collection) else ""
            first = rest.split("/", 1)[0]
            match = _PARAM.match(first)
            if not match:
                continue
            parameters = {f"path.{name}": f"$request.path.{name}" for name in inherited}
            key = match.group(1)  # a path keyed by a field of the created object (a slug) takes it
            field = key if key in fields and key != "id" and not key.endswith("_id") else "id"
            parameters[f"path.{key}"] = f"$response.body#/{field}"
            for _method, operation in _operations(target_item):
                if "operationId" not in operation:
                    continue
                # A link's name follows the component-name rule ([A-Za-z0-9._-]): the operationId.
                links.setdefault(
                    operation["operationId"], {"operationId": operation["operationId"], "parameters": parameters}
                )
        if not links:
            del answer["links"]


def _decimal_input_pattern(generator: NinjaGenerateJsonSchema, schema: Any) -> str | None:
    # Pydantic's hook for the string form of a Decimal; inputs only (answers are plain strings).
    return decimal_pattern(schema) if generator.mode == "validation" else None


_pydantic_decimal_schema = NinjaGenerateJsonSchema.decimal_schema


def _decimal_input_schema(generator: NinjaGenerateJsonSchema, schema: Any) -> Any:
    """Pydantic's schema of a Decimal input, whose JSON number form also states the
    field's decimal places (``multipleOf``; ``domus.core.parsing`` reads a number to a
    double's precision, so ``57 * 0.01`` is 0.57) and, where no bound is tighter, its
    digits (``max_digits``) as bounds."""
    generated = _pydantic_decimal_schema(generator, schema)
    number = generated.get("anyOf", [{}])[0] if generator.mode == "validation" else {}
    if number.get("type") != "number":
        return generated
    places, digits = schema.get("decimal_places"), schema.get("max_digits")
    if places is not None and "multipleOf" not in number:
        number["multipleOf"] = float(Decimal(1).scaleb(-places))
    if digits is not None:
        largest = float(Decimal(10) ** (digits - (places or 0)) - Decimal(1).scaleb(-(places or 0)))
        if "maximum" not in number and "exclusiveMaximum" not in number:
            number["maximum"] = largest
        if "minimum" not in number and "exclusiveMinimum" not in number:
            number["minimum"] = -largest
    return generated


def install_openapi_contract(api: NinjaAPI) -> None:
    """Complete ``api``'s generated schema with the platform's error answers and links,
    and state the string form of Decimal inputs (``domus.core.decimal_pattern``)."""
    # Ninja generates every model's schema with this one class; Pydantic's documented way
    # to give Decimal strings a pattern is this method of the generator.
    NinjaGenerateJsonSchema.get_decimal_pattern = _decimal_input_pattern  # type: ignore[method-assign]
    NinjaGenerateJsonSchema.decimal_schema = _decimal_input_schema  # type: ignore[method-assign]
    generate: Callable[..., Any] = api.get_openapi_schema

    def get_openapi_schema(*args: Any, **kwargs: Any):
        schema = generate(*args, **kwargs)
        add_error_responses(schema)
        drop_null_bodies(schema)
        close_forms(schema)
        forbid_nul(schema)
        add_links(schema)
        return schema

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]
