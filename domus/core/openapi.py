"""The OpenAPI schema as the code behaves: one operationId per method, each operation's
``security`` derived from its real authentication, no unreferenced components, and the
small helpers app routers use to document downloads and examples."""

from collections.abc import Mapping
from copy import deepcopy
from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation

from domus.core.route_table import admits_anonymous

REF_PREFIX = "#/components/schemas/"


class DomusOpenAPISchema(OpenAPISchema):
    """Ninja's schema with three corrections (see the module docstring)."""

    def __init__(self, api: NinjaAPI, path_prefix: str) -> None:
        super().__init__(api, path_prefix)
        examples: Mapping[str, dict[str, Any]] = getattr(api, "examples", {})
        for item in self["paths"].values():
            for details in item.values():
                if details["operationId"] in examples:
                    self.deep_dict_update(details, deepcopy(examples[details["operationId"]]))
        self["components"]["schemas"] = referenced_components(self["paths"], self["components"]["schemas"])

    def methods(self, operations: list[Operation]) -> dict[str, Any]:
        # Ninja gives every method of a multi-method operation (``api_operation(["PUT",
        # "PATCH"])``) one operationId, so a generated client keeps only one of them.
        result: dict[str, Any] = {}
        for operation in operations:
            if not operation.include_in_schema:
                continue
            details = self.operation_details(operation)
            for method in operation.methods:
                copy = deepcopy(details)
                if len(operation.methods) > 1:
                    copy["operationId"] = f"{details['operationId']}_{method.lower()}"
                result[method.lower()] = copy
        return result

    def operation_details(self, operation: Operation) -> dict[str, Any]:
        details = super().operation_details(operation)
        details["security"] = self.operation_security(operation)
        return details

    def operation_security(self, operation: Operation) -> list[dict[str, Any]]:
        """``[]`` when the operation has no authentication; its schemes, plus ``{}`` (no
        credentials) when an anonymous caller gets through, as with ``optional_auth``."""
        schemes = super().operation_security(operation) or []
        if schemes and admits_anonymous(operation):
            schemes.append({})
        return schemes


class DomusAPI(NinjaAPI):
    """The NinjaAPI of Domus, publishing :class:`DomusOpenAPISchema`. ``examples`` maps
    an operationId to the ``openapi_extra`` (built with :func:`examples`) merged into it."""

    def __init__(self, *args: Any, examples: Mapping[str, dict[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.examples = dict(examples or {})

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return DomusOpenAPISchema(self, path_prefix)


def referenced_components(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The components reachable from ``paths`` (query-parameter models, flattened into
    parameters by Ninja, otherwise linger as unused components)."""
    reachable: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        name = pending.pop()
        if name not in reachable and name in schemas:
            reachable.add(name)
            pending.extend(_refs(schemas[name]))
    return {name: schema for name, schema in schemas.items() if name in reachable}


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(REF_PREFIX):
                found.add(value.removeprefix(REF_PREFIX))
            else:
                found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def download(
    description: str, *media_types: str, status: int = 200, json_schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``openapi_extra`` declaring that ``status`` answers a file in one of ``media_types``
    (``application/pdf``, ``text/csv``; ``application/octet-stream`` for an uploaded file).
    A JSON file is JSON to a client, not bytes: its schema is ``json_schema`` (any JSON
    when not given)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    content = {
        media_type: {"schema": deepcopy(json_schema or {})} if _is_json(media_type) else deepcopy(binary)
        for media_type in media_types
    }
    return {"responses": {status: {"description": description, "content": content}}}


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def plain_text(description: str, status: int = 200) -> dict[str, Any]:
    """``openapi_extra`` declaring that ``status`` answers ``text/plain``."""
    content = {"text/plain": {"schema": {"type": "string"}}}
    return {"responses": {status: {"description": description, "content": content}}}


def examples(*, request: Any = None, response: Any = None, status: int = 200) -> dict[str, Any]:
    """``openapi_extra`` with an example request body and/or an example answer."""
    extra: dict[str, Any] = {}
    if request is not None:
        extra["requestBody"] = {"content": {"application/json": {"example": request}}}
    if response is not None:
        extra["responses"] = {status: {"content": {"application/json": {"example": response}}}}
    return extra
