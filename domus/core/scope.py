"""Whose numbers a dashboard shows: a platform admin everything, company staff their
companies, an agent their own pipeline, anyone else (an owner) their own properties.
Apps' aggregate selectors turn a ``Scope`` into a filter on their own fields
(``Scope.q``), so the dashboards never touch another app's models."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from django.db.models import Q

ScopeKind = Literal["platform", "companies", "agent", "owner"]


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    company_ids: frozenset[UUID] = field(default_factory=frozenset)
    user_id: UUID | None = None

    def q(self, *, company: str = "company_id", agent: Sequence[str] = (), owner: Sequence[str] = ()) -> Q:
        """The rows in scope: ``agent``/``owner`` name the fields that hold the user
        in that role (any of them matches); with none given, that role sees nothing."""
        if self.kind == "platform":
            return Q()
        if self.kind == "companies":
            return Q(**{f"{company}__in": sorted(self.company_ids)})
        fields = agent if self.kind == "agent" else owner
        condition = Q(pk__in=[])
        for name in fields:
            condition |= Q(**{name: self.user_id})
        return condition


@dataclass(frozen=True)
class Period:
    """A half-open interval of instants, ``[start, end)``."""

    start: datetime
    end: datetime

    def q(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.start, f"{name}__lt": self.end})
