"""Shapes of the audit API: the log rows, their filters and the export query."""

from datetime import datetime
from functools import cache
from typing import Any, Literal
from uuid import UUID

from django.apps import apps
from ninja import Field, Schema
from pydantic import field_validator

from domus.core.filtering import DateOrDateTime, ListFilters, one_of, ordering_of


@cache
def resource_types() -> frozenset[str]:
    """What an audit row may be about: the label of every Domus model."""
    return frozenset(m._meta.label_lower for m in apps.get_models() if m.__module__.startswith("domus."))


@cache
def resource_type_aliases() -> dict[str, str]:
    """A model's bare name (``lead``), as the stats and communication API's clients
    filter by, and its label (``crm.lead``), for each name only one Domus model has."""
    labels: dict[str, list[str]] = {}
    for label in resource_types():
        labels.setdefault(label.split(".", 1)[1], []).append(label)
    return {name: found[0] for name, found in labels.items() if len(found) == 1}


def _resource_type_label(value: Any) -> Any:
    return resource_type_aliases().get(value, value) if isinstance(value, str) else value


class AuditLogFilters(ListFilters):
    """The statistics, communication and audit API's filters plus the common list parameters. ``search`` looks in the
    actor's e-mail, the resource id and the action; ``ordering`` takes ``created_at``,
    ``action`` and ``resource_type``."""

    ordering: str | None = ordering_of("created_at", "action", "resource_type")
    resource_type: one_of(resource_types) | None = Field(
        None, description="Exact, e.g. 'organizations.company'; a bare model name ('lead') when only one model has it."
    )
    resource_id: str | None = Field(None, max_length=64)
    action: str | None = Field(None, max_length=64)
    start_date: DateOrDateTime | None = Field(None, description="From this day (or instant) on, inclusive.")
    end_date: DateOrDateTime | None = Field(None, description="Up to the end of this day (or this instant).")
    user_id: UUID | None = Field(None, description="The actor.")
    company_id: UUID | None = None

    bare_model_name = field_validator("resource_type", mode="before")(_resource_type_label)


class ExportQuery(Schema):
    format: Literal["csv", "json"] = Field("csv", description="csv or json.")


class AuditLogOut(Schema):
    id: UUID
    created_at: datetime
    actor_id: UUID | None
    actor_repr: str
    action: str
    resource_type: str
    resource_id: str
    company_id: UUID | None
    changes: dict[str, Any]
    ip_address: str | None
    user_agent: str
    request_id: str
