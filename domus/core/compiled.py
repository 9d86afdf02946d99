"""Hot reads of the request path compiled to SQL once.

Django builds and compiles a queryset's SQL on every run: for a one-row read by primary
key that is most of its CPU (0.3 to 0.5 ms for the caller's user with its profile, as
much as the database's answer). ``PkQuery`` compiles a queryset of one shape once per
thread and database, then each run only binds the key, executes the same SQL and converts
the rows with the compiler's own converters: the rows, model instances and related
objects are exactly what the queryset itself answers (and the statement is counted and
logged like any other). ``ParamQuery`` does the same for a queryset of several named
values (UUIDs or strings), each of which may appear in its SQL more than once.
``ShapeQuery`` compiles a queryset per shape (what the filters present and the ordering
make of its SQL), kept in a small cache per thread and connection, for reads whose
values are of any type a lookup prepares (a search's filters).

``insert_rows`` writes new rows of one or more models the way ``save()`` inserts them
(the same values, prepared by each field), from an ``INSERT`` built once per model, and
on PostgreSQL all of them in one statement (data-modifying ``WITH`` clauses): a write and
its audit row are one round trip, not two ORM inserts compiled on every request.
"""

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any
from uuid import UUID, uuid5

from django.db import connections
from django.db.models import Model, QuerySet, UUIDField
from django.db.models.fields import Field
from django.db.models.query import get_related_populators

# The key the queryset is compiled with, found again among the compiled parameters.
_PLACEHOLDER = UUID("00000000-d0d0-4d0d-8d0d-000000000000")
_UUID_FIELD = UUIDField()


class _Compiled:
    """The SQL, parameters, converters and (for model rows) the instance builders of one
    queryset on one connection, built with a placeholder for each named value."""

    def __init__(
        self, queryset: QuerySet, placeholders: dict[str, Any], prepare: Callable[[str, Any], Any] | None = None
    ) -> None:
        self.db = queryset.db
        self.prepare = prepare
        self.connection = connections[self.db]
        self.fetch_mode = queryset._fetch_mode
        compiler = self.compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots: dict[str, list[int]] = {}
        self.uuids = {name for name, placeholder in placeholders.items() if isinstance(placeholder, UUID)}
        for name, placeholder in placeholders.items():
            prepared = self._prepare(name, placeholder)
            self.slots[name] = [
                n for n, value in enumerate(self.params) if type(value) is type(prepared) and value == prepared
            ]
            if not self.slots[name]:
                raise ValueError(f"ParamQuery: the queryset does not use {name}")
        self.converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        if compiler.klass_info:  # model rows: what ``ModelIterable`` builds them with
            klass_info = compiler.klass_info
            self.model = klass_info["model"]
            self.first, self.last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            self.names = [column[0].target.attname for column in compiler.select[self.first : self.last]]
            self.related = get_related_populators(klass_info, compiler.select, self.db, self.fetch_mode)
            self.annotations = tuple(compiler.annotation_col_map.items())

    def _prepare(self, name: str, value: Any) -> Any:
        """A value as the compiler passes it to the driver (a UUID, or its text, as the
        database's column type wants; or as ``prepare`` says)."""
        if self.prepare is not None:
            return self.prepare(name, value)
        return _UUID_FIELD.get_db_prep_value(value, self.connection) if name in self.uuids else value

    def bound(self, values: dict[str, Any]) -> list[Any]:
        params = self.params.copy()
        for name, value in values.items():
            prepared = self._prepare(name, value)
            for slot in self.slots[name]:
                params[slot] = prepared
        return params

    def rows(self, values: dict[str, Any]) -> Iterable[Sequence[Any]]:
        params = self.bound(values)
        with self.connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return self.compiler.apply_converters(rows, self.converters) if self.converters else rows

    def objects(self, values: dict[str, Any]) -> list[Model]:
        """The model instances, as ``ModelIterable`` makes them (related objects and
        annotations included)."""
        found = []
        peers: list[Any] = []
        track_peers = self.fetch_mode.track_peers
        for row in self.rows(values):
            obj = self.model.from_db(self.db, self.names, row[self.first : self.last], fetch_mode=self.fetch_mode)
            if track_peers:
                peers.append(weakref.ref(obj))
                obj._state.peers = peers
            for populator in self.related:
                populator.populate(row, obj)
            for attr_name, position in self.annotations:
                setattr(obj, attr_name, row[position])
            found.append(obj)
        return found


class _PerConnection:
    """One ``_Compiled`` per thread and database connection."""

    def __init__(self, build: Callable[[], QuerySet], placeholders: dict[str, Any]) -> None:
        self._build = build
        self._placeholders = placeholders
        self._local = threading.local()

    def get(self) -> _Compiled:
        compiled = getattr(self._local, "compiled", None)
        if compiled is None or connections[compiled.db] is not compiled.connection:  # once per connection
            compiled = self._local.compiled = _Compiled(self._build(), self._placeholders)
        return compiled


class PkQuery:
    """A queryset of one shape, run again and again for another primary key.

    ``build(key)`` answers the queryset for ``key`` (it must filter on the model's
    primary key, a UUID, exactly once). ``values(key)`` is ``list(build(key))`` of a
    ``values_list()`` queryset; ``objects(key)`` of a model queryset (``select_related``
    included)."""

    def __init__(self, build: Callable[[Any], QuerySet]) -> None:
        self._compiled = _PerConnection(lambda: build(_PLACEHOLDER), {"pk": _PLACEHOLDER})

    def _get(self) -> _Compiled:
        compiled = self._compiled.get()
        if len(compiled.slots["pk"]) != 1:
            raise ValueError("PkQuery: the queryset must use its key exactly once")
        return compiled

    def values(self, key: Any) -> list[tuple]:
        return [tuple(row) for row in self._get().rows({"pk": key})]

    def objects(self, key: Any) -> list[Model]:
        return self._get().objects({"pk": key})


class ParamQuery:
    """A queryset of one shape run again and again with other values: ``build`` takes
    the named values as keyword arguments and is called once per connection with a
    placeholder for each (a UUID or a string, as ``kinds`` says); each run binds the
    values given. Each value must reach the SQL unchanged (an exact match, not
    ``icontains``), and ``build`` must not branch on the values (one shape per instance).

    ``values(**values)`` is ``list(build(**values))`` of a ``values_list()`` queryset;
    ``objects(**values)`` of a model queryset."""

    def __init__(self, build: Callable[..., QuerySet], **kinds: type) -> None:
        placeholders = {name: _placeholder(name, kind) for name, kind in kinds.items()}
        self._compiled = _PerConnection(lambda: build(**placeholders), placeholders)
        self._names = frozenset(kinds)

    def _bound(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.keys() != self._names:
            raise TypeError(f"ParamQuery: give exactly {sorted(self._names)}")
        return values

    def values(self, **values: Any) -> list[tuple]:
        return [tuple(row) for row in self._compiled.get().rows(self._bound(values))]

    def objects(self, **values: Any) -> list[Model]:
        return self._compiled.get().objects(self._bound(values))

    def sql(self, **values: Any) -> tuple[str, list[Any]]:
        """The compiled SQL and its parameters with these values bound, to embed in a
        statement the ORM cannot build (an upsert's subquery)."""
        compiled = self._compiled.get()
        return compiled.sql, compiled.bound(self._bound(values))


def _placeholder(name: str, kind: type) -> Any:
    """A value no query holds by chance, for the named parameter."""
    if kind is UUID:
        return uuid5(_PLACEHOLDER, name)
    if kind is str:
        return f"\x00domus placeholder {name}\x00"
    raise TypeError(f"ParamQuery: {name} must be a UUID or a str")


class ShapeQuery:
    """Querysets of many shapes, each compiled once per thread and connection and then
    run again and again with other values (a search: the filters present and the
    ordering make the shape, the filters' values are bound).

    ``get(key, build, placeholders)``: ``key`` names the shape; on its first use
    ``build(values)`` is compiled twice, with each of the two sets of values
    ``placeholders()`` answers (values no query holds by chance, by name), and the
    shape is used only when both compile to the same SQL and binding the second set into
    the first gives exactly the second's parameters: so every value reaches the SQL
    through its slots, prepared as ``prepare(name, value)`` says (what the lookup does
    to it), and nothing else depends on the values. Otherwise ``run`` answers None and
    the caller runs the queryset itself (a shape that does not compile is remembered as
    such). ``size`` shapes are kept (least recently used first out); the compiled shape
    binds its values with ``bound``, runs with ``rows`` or ``objects``."""

    def __init__(self, prepare: Callable[[str, Any], Any], size: int = 256) -> None:
        self._prepare = prepare
        self._size = size
        self._local = threading.local()

    def get(
        self,
        key: Hashable,
        build: Callable[[dict[str, Any]], QuerySet],
        placeholders: Callable[[], tuple[dict[str, Any], dict[str, Any]]],
    ) -> "_Compiled | None":
        local = self._local
        shapes: OrderedDict | None = getattr(local, "shapes", None)
        if shapes is None or getattr(local, "connection", None) is not connections["default"]:
            shapes = local.shapes = OrderedDict()
            local.connection = connections["default"]
        if key in shapes:
            shapes.move_to_end(key)
            return shapes[key]
        first, second = placeholders()
        try:
            compiled = _Compiled(build(first), first, self._prepare)
            check = _Compiled(build(second), second, self._prepare)
        except ValueError:  # a placeholder the SQL does not hold
            compiled = None
        else:
            if compiled.sql != check.sql or compiled.bound(second) != check.params or compiled.db != "default":
                compiled = None
        shapes[key] = compiled
        if len(shapes) > self._size:
            shapes.popitem(last=False)
        return compiled


_INSERTS: dict[tuple[type[Model], str], tuple[str, list[Field]]] = {}


def _insert_sql(model: type[Model], connection: Any) -> tuple[str, list[Field]]:
    """``INSERT INTO <table> (<every column>) VALUES (%s, ...)`` for ``model`` and the
    fields in column order (what ``save()`` inserts for a new row whose primary key is
    set: every concrete field)."""
    key = (model, connection.vendor)
    found = _INSERTS.get(key)
    if found is None:
        opts = model._meta
        if opts.parents:
            raise TypeError(f"insert_rows: {opts.label} inherits another model's table")
        fields = [field for field in opts.local_concrete_fields if not field.generated]
        if any(hasattr(field, "get_placeholder_sql") or field.db_returning for field in fields):
            raise TypeError(f"insert_rows: {opts.label} has a field save() inserts another way")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        found = _INSERTS[key] = (sql, fields)
    return found


class RowInserts:
    """New rows (unsaved instances whose primary key is set, as a UUID default sets it)
    inserted together, in the order added, exactly as ``instance.save()`` would insert
    each: ``add`` runs every field's ``pre_save`` (``auto_now`` times are set on the
    instance then, so a snapshot taken after ``add`` holds them) and ``get_db_prep_save``
    and checks the related objects; ``run`` writes them, on PostgreSQL in one statement
    (data-modifying ``WITH`` clauses: every row is written, or none), elsewhere one
    ``INSERT`` each, and marks each instance saved. No ``pre_save``/``post_save`` signals
    (Domus connects none); a value must be plain (no expression)."""

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self.connection = connections[using]
        self.instances: list[Model] = []
        self.statements: list[tuple[str, list[Any]]] = []

    def add(self, instance: Model) -> None:
        sql, fields = _insert_sql(type(instance), self.connection)
        if not instance._state.adding or instance.pk is None:
            raise ValueError("RowInserts: new rows with their primary key set only")
        instance._prepare_related_fields_for_save(operation_name="RowInserts")
        values = [field.pre_save(instance, True) for field in fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            raise TypeError("RowInserts: plain values only (no expressions)")
        params = [field.get_db_prep_save(value, self.connection) for field, value in zip(fields, values, strict=True)]
        self.instances.append(instance)
        self.statements.append((sql, params))

    def run(self) -> None:
        if self.connection.vendor == "postgresql":
            statements = [self.statement()]
        else:
            statements, self.statements = self.statements, []
        with self.connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)
        self.saved()

    def statement(self) -> tuple[str, list[Any]]:
        """The rows added as one statement (PostgreSQL), for a caller that sends it itself
        (then calls ``saved``)."""
        statements, self.statements = self.statements, []
        if len(statements) == 1:
            return statements[0]
        clauses = ", ".join(f"insert_{n} AS ({sql})" for n, (sql, _) in enumerate(statements[:-1]))
        return f"WITH {clauses} {statements[-1][0]}", [value for _, values in statements for value in values]

    def saved(self) -> None:
        """Mark the instances added as saved (their rows are written)."""
        for instance in self.instances:
            instance._state.adding = False
            instance._state.db = self.using
        self.instances = []


def insert_rows(*instances: Model, using: str = "default") -> None:
    """Insert these new rows together (``RowInserts``): one statement on PostgreSQL."""
    rows = RowInserts(using)
    for instance in instances:
        rows.add(instance)
    rows.run()
