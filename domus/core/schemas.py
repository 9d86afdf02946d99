"""Small shapes shared by every API, and the base of every request body."""

import re
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin
from uuid import UUID
from zoneinfo import available_timezones

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

# The e-mail addresses Domus takes, as the schema states them: a dot-atom local part and a
# host name with a letters-only top-level domain, the subset of Django's EmailValidator
# that clients send (no quoted local parts, IP literals or bare hosts).
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,63}$"
)
_EMAIL = re.compile(EMAIL_PATTERN)


def is_email(value: str) -> bool:
    """Whether ``value`` is an address of ``EMAIL_PATTERN`` (at most 254 characters)."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


# Text with something besides white space in it (what ``" ".join(value.split())`` leaves
# non-empty): the white space of Python's str.split that JSON Schema's \s lacks is listed,
# and JSON Schema's byte-order mark, so that no engine counts a character the others do not.
NOT_BLANK = r"^[^\u0000]*[^\s\u0000\u001c-\u001f\u0085\ufeff][^\u0000]*$"


def one_of_required(*names: str) -> dict[str, Any]:
    """A model's ``json_schema_extra`` stating that at least one of the fields ``names``
    is given as text (not absent, not ``null``, not empty)."""
    return {"anyOf": [{"required": [n], "properties": {n: {"type": "string", "minLength": 1}}} for n in names]}


@cache
def time_zones() -> list[str]:
    """The IANA time zone names this host knows, the ``enum`` of every time zone field."""
    return sorted(available_timezones())


@cache
def stated_time_zones() -> list[str]:
    """The ``enum`` the schema states: the zones without a signed offset in their name.
    ``GMT+0``/``GMT-0``/``GMT0`` and ``Etc/GMT+3``/``Etc/GMT-3`` (still accepted) differ
    only by a sign, which client generators drop from enum member names."""
    return [name for name in time_zones() if not re.search(r"[+-][0-9]|GMT0", name)]


def _wall_clock(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("A local wall-clock time, without a UTC offset (e.g. 09:00).")
    return value


# A local wall-clock time (a shift's start, quiet hours, a send time in the recipient's
# zone): an offset would be meaningless, so the schema states the form without one.
WALL_CLOCK_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
        "description": "HH:MM or HH:MM:SS, local, without a UTC offset.",
    }
)
WallClock = Annotated[time, AfterValidator(_wall_clock), WALL_CLOCK_SCHEMA]


# Values a model attribute answers that Ninja's getter hands on unchanged (it calls what is
# callable, lists a manager or queryset, and answers a file's URL).
_PLAIN_TYPES = frozenset({str, int, float, bool, NoneType, Decimal, UUID, datetime, date, time, list})


class ReadOut(Schema):
    """An output schema read from a model instance in one pass: the value of each field
    (its ``resolve_<field>`` if it has one, else the attribute) in a dict, which Pydantic
    validates in one call, instead of Ninja's getter answering Pydantic field by field.
    The values, and so the JSON, are exactly what the getter answers (the same calls, the
    same conversions, an attribute the object lacks left out); a dict, a model or a schema
    with aliases or resolvers that take the context goes through Ninja's getter as before.
    A search page of 20 cards: 828 -> 533 µs (bench/README.md, issue 21 fourth pass)."""

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(cls, values: Any, handler: Callable[[Any], Any], info: Any) -> Any:
        plan = _READ_PLANS.get(cls)
        if plan is None:
            plan = _READ_PLANS[cls] = _read_plan(cls)
        if not plan or isinstance(values, dict | BaseModel):
            if cls.model_config.get("validate_assignment", False):  # as Ninja's own validator
                handler(values)
            return handler(DjangoGetter(values, cls, info.context))
        read: dict[str, Any] = {}
        for key, resolve in plan:
            try:
                value = getattr(values, key) if resolve is None else resolve(values)
            except AttributeError:
                if resolve is not None:
                    continue  # the getter's answer too: the field is missing
                with suppress(AttributeError):  # the getter's lookup of what is not an attribute
                    read[key] = getattr(DjangoGetter(values, cls, info.context), key)
                continue
            read[key] = value if type(value) in _PLAIN_TYPES else DjangoGetter._convert_result(None, value)  # type: ignore[arg-type]
        return handler(read)


_READ_PLANS: dict[type, tuple[tuple[str, Callable[[Any], Any] | None], ...]] = {}


def _read_plan(cls: type[Schema]) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    """``(field, static resolver or None)`` of each field; empty when ``cls`` needs
    Ninja's getter (an alias, a resolver taking the context or not static)."""
    plan = []
    for name, field in cls.model_fields.items():
        if field.alias or field.validation_alias or cls.model_config.get("extra") == "forbid":
            return ()
        resolver = cls._ninja_resolvers.get(name)
        if resolver is not None and (not resolver._static or resolver._takes_context):
            return ()
        plan.append((name, resolver._func if resolver is not None else None))
    return tuple(plan)


class DetailOut(Schema):
    """A confirmation sentence (``{"detail": "Password changed."}``)."""

    detail: str


class Input(Schema):
    """The base of every request-body schema (and of every object nested in one): a field
    it does not declare is a 400 ``{"<field>": ["Unknown field."]}``, never silently
    ignored. Another system's spelling of a field is declared on the field
    (``validation_alias=AliasChoices("name", "other_name")``) and listed in docs/api.md."""

    model_config = ConfigDict(extra="forbid")
    # A JSON body's booleans and numbers are JSON's own, and its dates are text: ``0`` or
    # ``"true"`` for a boolean, ``"5"`` for a number, ``0`` for a date is a 400 as the
    # schema says (Pydantic's lax mode would take them). A body read from a form, where
    # every value is text, sets this (its booleans are then the text true or false).
    lax_scalars: ClassVar[bool] = False

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for name, field in cls.model_fields.items():
            kinds = _scalar_kinds(field.annotation)
            if kinds == {str} and _must_not_be_blank(name, field):
                field.metadata.extend(StringConstraints(pattern=NOT_BLANK))
                changed = True
                continue
            if not kinds or any(isinstance(item, Strict | _TextOnly) for item in field.metadata):
                continue
            if cls.lax_scalars:  # a form: a boolean is the text true or false, as the schema says
                if kinds != {bool}:
                    continue
                field.metadata.append(_TextOnly(_form_boolean))
            elif kinds == {int}:  # JSON Schema counts 25.0 as an integer; "25" and true are not
                field.metadata.append(_TextOnly(_json_integer))
            elif kinds <= {bool, int, float}:
                field.metadata.append(Strict())
            elif kinds <= {date, datetime, time}:
                field.metadata.append(_TextOnly(_refuse_numbers))
            else:
                continue
            changed = True
        if changed:
            cls.model_rebuild(force=True)


# Secrets are taken as sent: white space may be part of a password or a token.
_TAKEN_AS_SENT = frozenset({"password", "old_password", "new_password", "token", "refresh"})


def _must_not_be_blank(name: str, field: Any) -> bool:
    """A text field that needs at least one character (``min_length``) needs one that is
    not white space: the services keep text stripped, so ``" "`` is as empty as ``""``.
    The field then states ``NOT_BLANK``, so a client sees the rule the server applies."""
    if name in _TAKEN_AS_SENT:
        return False
    needs_text = any((getattr(item, "min_length", None) or 0) >= 1 for item in field.metadata)
    has_pattern = any(getattr(item, "pattern", None) for item in field.metadata)
    return needs_text and not has_pattern


class _TextOnly(BeforeValidator):
    """The validator that keeps a date, date-time or time field to text."""


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool | str) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("Input should be a valid integer")
    return int(value) if isinstance(value, float) else value


# A whole number inside a list or a nested shape of a JSON body, as ``Input`` treats its
# own fields: 25 and 25.0 (JSON Schema's integers), not "25" or true. With bounds, put
# them before the marker, ``Annotated[int, Field(ge=0), JSON_INTEGER]``: on the far side
# of it the schema would show them under Pydantic's names (``ge``), which no client reads.
JSON_INTEGER = _TextOnly(_json_integer)
JsonInt = Annotated[int, JSON_INTEGER]


def _form_boolean(value: Any) -> Any:
    if isinstance(value, str) and value.lower() not in ("true", "false"):
        raise ValueError("Give true or false.")
    return value


def _refuse_numbers(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("Give it as text (ISO 8601), not a number.")
    return value


def _scalar_kinds(annotation: Any) -> set[Any]:
    """The types of ``annotation`` without None (``{int}`` for ``int | None``)."""
    members = set(get_args(annotation)) if get_origin(annotation) in (Union, UnionType) else {annotation}
    members.discard(NoneType)
    return members if all(isinstance(member, type) for member in members) else set()


def body_alias(
    rewrite: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    accepts: dict[str, dict[str, Any]] | None = None,
    replaces: tuple[str, ...] = (),
) -> Any:
    """A declared alias that moves or converts values (``user_id`` -> ``participant_ids:
    [user_id]``), as a before-validator of an :class:`Input`: ``rewrite`` gets a copy of
    the body as sent and answers the body to validate. A key it leaves in place that the
    schema does not declare is still a 400 (so both spellings at once are refused).

    ``accepts`` describes the keys the rewrite takes (a JSON Schema per key) and
    ``replaces`` the required fields they may stand in for: the original systems' own
    schemas (``domus/core/compat_schema.py``) list them."""

    def validator(cls: type, data: Any) -> Any:
        # Ninja validates a body twice: as sent, then wrapped in its DjangoGetter.
        raw = data._obj if isinstance(data, DjangoGetter) else data
        return rewrite(dict(raw)) if isinstance(raw, dict) else data

    validator.accepts = dict(accepts or {})  # type: ignore[attr-defined]
    validator.replaces = tuple(replaces)  # type: ignore[attr-defined]
    return model_validator(mode="before")(validator)


VALUE_ALIASES = "x-value-aliases"


def value_aliases(*mappings: dict[str, Any]) -> dict[str, Any]:
    """The ``json_schema_extra`` of a field that also takes another system's values (the keys
    of ``mappings`` a before-validator converts): the schema lists them under
    ``x-value-aliases``, and an original system's own schema offers them as values."""
    return {VALUE_ALIASES: sorted({key for mapping in mappings for key, value in mapping.items() if key != value})}


def declared_body_aliases(model: type[BaseModel]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """The keys ``model``'s :func:`body_alias` rewrites accept, and the required fields they replace."""
    accepts: dict[str, dict[str, Any]] = {}
    replaces: set[str] = set()
    for decorator in model.__pydantic_decorators__.model_validators.values():
        func = getattr(decorator.func, "__func__", decorator.func)
        accepts.update(getattr(func, "accepts", {}))
        replaces.update(getattr(func, "replaces", ()))
    return accepts, replaces


class FieldErrors(ValueError):
    """Raised by a model-level check (``@model_validator``) to report its problems
    keyed by the fields they are about, all at once: ``FieldErrors({"budget_min":
    ["Must not exceed budget_max."]})``. The API renders them under those keys."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = {field: list(messages) for field, messages in errors.items() if messages}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


def check(problems: dict[str, list[str]]) -> None:
    """Raise :class:`FieldErrors` when a model-level check collected any problem."""
    if any(problems.values()):
        raise FieldErrors(problems)


def nested_models(model: type[BaseModel]) -> Iterator[type[BaseModel]]:
    """``model`` and every model its fields may hold (lists, unions, dicts), once each."""
    seen: set[type[BaseModel]] = set()
    stack: list[Any] = [model]
    while stack:
        annotation = stack.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                continue
            seen.add(annotation)
            yield annotation
            stack.extend(field.annotation for field in annotation.model_fields.values())
        else:
            stack.extend(get_args(annotation))
