"""Many resources of one shape (list, create, detail, replace, edit, delete), declared once.

``register_crud(router, Crud(...))`` adds six real Ninja operations for one resource, each
with its own operationId, typed path parameter, query, body and answer schemas, and its
error answers, so the OpenAPI document reads as if they were written by hand. The
declaration names the schemas and the functions that do the work (an app's selectors and
services); this module only wires them, it reads and writes nothing itself.

What is particular to a resource (a stock posting, a booking) is not declared here: it
stays a hand-written operation beside these ones.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import paginate

from domus.core.errors import ErrorOut
from domus.core.policies import is_admin, require


class Access(StrEnum):
    """Who may call an operation."""

    PUBLIC = "public"  # anyone, no token needed
    AUTHENTICATED = "authenticated"  # any signed-in user
    ADMIN = "admin"  # platform admins (the back office's ``system_admin``)


@dataclass(frozen=True)
class Crud:
    """One resource: its path segment, the key in its paths (``slug`` or ``id``) and its
    type, schemas and the functions that read and write it. ``list``/``get`` take
    ``actor`` and ``filters``/``key``; ``create`` takes ``actor`` and ``data`` (the body as
    a dict), ``update`` ``actor``, ``row`` and ``data``, ``delete`` ``actor`` and ``row``.
    A resource without ``write`` has only its list and detail operations."""

    path: str  # "departments"
    tag: str
    noun: str  # "department", for summaries and operation ids
    out: type
    filters: type
    list: Callable[..., Any]
    get: Callable[..., Any]
    create_in: type | None = None
    patch_in: type | None = None
    replace_in: type | None = None  # the PUT body: the create body, plus the key when it may be repeated
    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    key: str = "slug"
    key_type: type = str
    read: Access = Access.PUBLIC
    write: Access | None = Access.ADMIN  # None: a read-only resource (list and detail only)
    public_auth: Any = None  # the ``auth`` of an operation anyone may call (a token is read when sent)
    present: Callable[[Any, Any], Any] | None = None  # (row, actor) -> what the answer shows
    operation_prefix: str = ""
    summaries: dict[str, str] = field(default_factory=dict)  # by verb: list, create, detail, replace, update, delete
    extra: dict[str, Any] = field(default_factory=dict)


_DENIED = {Access.AUTHENTICATED: "Sign in to read this.", Access.ADMIN: "Only platform admins can do this."}


def _allowed(access: Access, actor: Any) -> bool:
    if access is Access.ADMIN:
        return is_admin(actor)
    if access is Access.AUTHENTICATED:
        return bool(getattr(actor, "is_authenticated", False))
    return True


def _operation(func: Callable[..., Any], name: str, params: list[inspect.Parameter]) -> Callable[..., Any]:
    """``func`` with the typed signature Ninja reads its parameters from."""
    request = inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HttpRequest)
    func.__signature__ = inspect.Signature([request, *params])  # type: ignore[attr-defined]
    func.__name__ = func.__qualname__ = name
    return func


def _param(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def register_crud(router: Router, spec: Crud) -> None:
    """Add the list, create, detail, PUT, PATCH and DELETE operations of ``spec`` to ``router``."""
    collection = f"/{spec.path}/"
    item = f"/{spec.path}/{{{spec.key}}}/"
    op = f"{spec.operation_prefix}{spec.noun.replace(' ', '_')}"
    read_auth = spec.public_auth if spec.read is Access.PUBLIC else None
    read_extra = {"x-permission": spec.read.value, **spec.extra}
    write_extra = {"x-permission": spec.write.value if spec.write else "", **spec.extra}
    read_errors = {} if spec.read is Access.PUBLIC else {401: ErrorOut, 403: ErrorOut}
    write_errors = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
    key_param = _param(spec.key, spec.key_type)
    router_kwargs = {} if read_auth is None else {"auth": read_auth}

    def shown(row: Any, actor: Any) -> Any:
        return spec.present(row, actor) if spec.present else row

    def check(access: Access, actor: Any) -> None:
        require(_allowed(access, actor), _DENIED.get(access))

    def list_rows(request: HttpRequest, **kwargs: Any) -> Any:
        check(spec.read, request.auth)
        rows = spec.list(actor=request.auth, filters=kwargs["filters"])
        return [shown(row, request.auth) for row in rows] if spec.present else rows

    def detail(request: HttpRequest, **kwargs: Any) -> Any:
        check(spec.read, request.auth)
        return shown(spec.get(actor=request.auth, key=kwargs[spec.key]), request.auth)

    list_op = _operation(list_rows, f"{op}_list", [_param("filters", Query[spec.filters])])  # type: ignore[valid-type]
    router.get(
        collection,
        response={200: list[spec.out], 400: ErrorOut, **read_errors},  # type: ignore[name-defined]
        summary=spec.summaries.get("list", f"List {spec.path}"),
        operation_id=f"{op}_list",
        openapi_extra=read_extra,
        **router_kwargs,
    )(paginate(list_op))

    router.get(
        item,
        response={200: spec.out, 404: ErrorOut, **read_errors},
        summary=spec.summaries.get("detail", f"A {spec.noun}"),
        operation_id=f"{op}_detail",
        openapi_extra=read_extra,
        **router_kwargs,
    )(_operation(detail, f"{op}_detail", [key_param]))
    if spec.write is None:
        return

    def create_row(request: HttpRequest, **kwargs: Any) -> Any:
        check(spec.write, request.auth)
        row = spec.create(actor=request.auth, data=kwargs["payload"].dict(exclude_unset=True))
        return Status(201, shown(row, request.auth))

    router.post(
        collection,
        response={201: spec.out, **write_errors},
        summary=spec.summaries.get("create", f"Create a {spec.noun}"),
        operation_id=f"{op}_create",
        openapi_extra=write_extra,
    )(_operation(create_row, f"{op}_create", [_param("payload", spec.create_in)]))

    def change(request: HttpRequest, *, partial: bool, **kwargs: Any) -> Any:
        check(spec.write, request.auth)
        row = spec.get(actor=request.auth, key=kwargs[spec.key])
        data = kwargs["payload"].dict(exclude_unset=partial)
        return shown(spec.update(actor=request.auth, row=row, data=data), request.auth)

    def replace(request: HttpRequest, **kwargs: Any) -> Any:
        return change(request, partial=False, **kwargs)

    def edit(request: HttpRequest, **kwargs: Any) -> Any:
        return change(request, partial=True, **kwargs)

    for method, func, schema, verb, what in (
        (router.put, replace, spec.replace_in, "replace", "Replace"),
        (router.patch, edit, spec.patch_in, "update", "Edit"),
    ):
        method(
            item,
            response={200: spec.out, **write_errors},
            summary=spec.summaries.get(
                verb, f"{what} a {spec.noun}" + (" (its slug never changes)" if spec.key == "slug" else "")
            ),
            operation_id=f"{op}_{verb}",
            openapi_extra=write_extra,
        )(_operation(func, f"{op}_{verb}", [key_param, _param("payload", schema)]))

    def remove(request: HttpRequest, **kwargs: Any) -> Any:
        check(spec.write, request.auth)
        spec.delete(actor=request.auth, row=spec.get(actor=request.auth, key=kwargs[spec.key]))
        return Status(204, None)

    router.delete(
        item,
        response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
        summary=spec.summaries.get("delete", f"Delete a {spec.noun}"),
        operation_id=f"{op}_delete",
        openapi_extra=write_extra,
    )(_operation(remove, f"{op}_delete", [key_param]))
