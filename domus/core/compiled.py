"""Hot reads of the request path compiled to SQL once.

Django builds and compiles a queryset's SQL on every run: for a one-row read by primary
key that is most of its CPU (0.3 to 0.5 ms for the caller's user with its profile, as
much as the database's answer). ``PkQuery`` compiles a queryset of one shape once per
thread and database, then each run only binds the key, executes the same SQL and converts
the rows with the compiler's own converters: the rows, model instances and related
objects are exactly what the queryset itself answers (and the statement is counted and
logged like any other).
"""

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

# The key the queryset is compiled with, found again among the compiled parameters.
_PLACEHOLDER = UUID("00000000-d0d0-4d0d-8d0d-000000000000")


class _Compiled:
    """The SQL, parameters, converters and (for model rows) the instance builders of one
    queryset on one connection."""

    def __init__(self, queryset: QuerySet) -> None:
        self.db = queryset.db
        self.connection = connections[self.db]
        self.key_field = queryset.model._meta.pk
        self.fetch_mode = queryset._fetch_mode
        compiler = self.compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = compiler.as_sql()
        placeholder = self.key_field.get_db_prep_value(_PLACEHOLDER, self.connection)
        slots = [n for n, value in enumerate(params) if value == placeholder]
        if len(slots) != 1:
            raise ValueError("PkQuery: the queryset must use its key exactly once")
        self.params, self.slot = list(params), slots[0]
        self.converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        if compiler.klass_info:  # model rows: what ``ModelIterable`` builds them with
            klass_info = compiler.klass_info
            self.model = klass_info["model"]
            self.first, self.last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.names = [column[0].target.attname for column in compiler.select[self.first : self.last]]
            self.related = get_related_populators(klass_info, compiler.select, self.db, self.fetch_mode)

    def rows(self, key: Any) -> Iterable[Sequence[Any]]:
        params = self.params.copy()
        params[self.slot] = self.key_field.get_db_prep_value(key, self.connection)
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return self.compiler.apply_converters(rows, self.converters) if self.converters else rows


class PkQuery:
    """A queryset of one shape, run again and again for another primary key.

    ``build(key)`` answers the queryset for ``key`` (it must filter on the model's
    primary key, a UUID, exactly once). ``values(key)`` is ``list(build(key))`` of a
    ``values_list()`` queryset; ``objects(key)`` of a model queryset (``select_related``
    included)."""

    def __init__(self, build: Callable[[Any], QuerySet]) -> None:
        self._build = build
        self._local = threading.local()

    def _compiled(self) -> _Compiled:
        compiled = getattr(self._local, "compiled", None)
        if compiled is None or connections[compiled.db] is not compiled.connection:  # once per connection
            compiled = self._local.compiled = _Compiled(self._build(_PLACEHOLDER))
        return compiled

    def values(self, key: Any) -> list[tuple]:
        return [tuple(row) for row in self._compiled().rows(key)]

    def objects(self, key: Any) -> list[Model]:
        compiled = self._compiled()
        found = []
        for row in compiled.rows(key):
            obj = compiled.model.from_db(
                compiled.db, compiled.names, row[compiled.first : compiled.last], fetch_mode=compiled.fetch_mode
            )
            for populator in compiled.related:
                populator.populate(row, obj)
            found.append(obj)
        return found
