"""Small shapes shared by every API, and the base of every request body."""

from collections.abc import Callable, Iterator
from typing import Any, get_args

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, ConfigDict, model_validator


class DetailOut(Schema):
    """A confirmation sentence (``{"detail": "Password changed."}``)."""

    detail: str


class Input(Schema):
    """The base of every request-body schema (and of every object nested in one): a field
    it does not declare is a 400 ``{"<field>": ["Unknown field."]}``, never silently
    ignored. Another system's spelling of a field is declared on the field
    (``validation_alias=AliasChoices("name", "other_name")``) and listed in docs/api.md."""

    model_config = ConfigDict(extra="forbid")


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
