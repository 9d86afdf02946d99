"""``ReadOut`` reads an object's fields in one pass and answers exactly what Ninja's
getter answers field by field."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from ninja import Schema
from pydantic import Field, ValidationError

from domus.core.schemas import ReadOut

FIELDS = {
    "id": UUID,
    "title": str,
    "price": Decimal,
    "count": int,
    "tags": list[str],
    "label": str,
    "optional": str | None,
    "missing_with_default": str,
    "made_at": datetime,
}


class Thing:
    id = UUID("01900000-0000-7000-8000-000000000001")
    title = "A flat"
    price = Decimal("10.50")
    made_at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    optional = None

    def count(self) -> int:  # a callable is called, as by the getter
        return 3

    @property
    def tags(self) -> Any:
        raise AttributeError("tags")  # an attribute raising AttributeError: looked up further


def _resolve_label(obj: Any) -> str:
    return obj.title.upper()


def _resolve_tags(obj: Any) -> list[str]:
    return ["a", "b"]


def _pair(**resolvers: Any) -> tuple[type[Schema], type[Schema]]:
    namespace = {
        "__annotations__": dict(FIELDS),
        "missing_with_default": "-",
        **{f"resolve_{name}": staticmethod(func) for name, func in resolvers.items()},
    }
    return type("Plain", (Schema,), dict(namespace)), type("Read", (ReadOut,), dict(namespace))


def test_the_same_values_as_ninjas_getter():
    plain, read = _pair(label=_resolve_label, tags=_resolve_tags)
    assert read.model_validate(Thing()).model_dump_json() == plain.model_validate(Thing()).model_dump_json()
    assert read.model_validate(Thing()).count == 3


def test_a_missing_field_is_refused_alike():
    plain, read = _pair(label=_resolve_label)  # tags: no attribute, no resolver, no default
    with pytest.raises(ValidationError) as by_getter:
        plain.model_validate(Thing())
    with pytest.raises(ValidationError) as by_read:
        read.model_validate(Thing())
    # The same error (its input is the dict read, not the getter).
    assert by_read.value.errors(include_url=False, include_input=False) == by_getter.value.errors(
        include_url=False, include_input=False
    )


def test_a_dict_and_an_aliased_schema_go_through_the_getter():
    class Aliased(ReadOut):
        name: str = Field(validation_alias="title")

    assert Aliased.model_validate(Thing()).name == "A flat"
    plain, read = _pair()
    data = {
        "id": Thing.id,
        "title": "A flat",
        "price": "1.00",
        "count": 1,
        "tags": [],
        "label": "x",
        "made_at": Thing.made_at,
    }
    with pytest.raises(ValidationError):
        plain.model_validate(data)  # optional has no default: missing
    data["optional"] = None
    assert read.model_validate(data).model_dump() == plain.model_validate(data).model_dump()
