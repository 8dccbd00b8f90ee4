"""Querysets compiled to SQL once, for the lookups that every request makes.

Django builds a queryset and compiles its SQL each time it is evaluated. For the lookups behind every request (the
caller's memberships on each page of an account, the token of each API call) that was most of their cost: about
2 ms of a 3 ms membership lookup went to building and compiling, well under 1 ms to the database, although only
the parameters ever change. A `CompiledQuery` builds its queryset once per database connection, with marker
values for its parameters, keeps the SQL, and from then on runs that SQL with the real values, loading the model
instances (and their `select_related` objects) the way Django's own queryset iteration does.

Only for querysets of model instances whose parameters are `int`, `str`, aware `datetime`, `date` or `Decimal`
values, each reaching the SQL as itself (as the backend adapts a value of its type for a column of that type:
comparisons and ranges, not transforms or LIKE patterns); anything else is refused when the query is first
compiled. `CompiledRows` does the same for `values_list()` querysets (tuples, with the fields' converters applied
as Django applies them).

`ShapedQuery` does it for querysets whose form varies, the record lists: which filters are set, the sort, the
cursor's direction. The caller names the form, the *shape* (a hashable key that decides everything in the SQL but
the parameters), gives the parameters' values and a function that builds the queryset from any values of the same
types. Each shape is compiled once per connection (`shaped_instances`, `shaped_count`); a shape whose SQL turns out
to depend on a parameter's value (compiled twice, with two sets of markers, the SQL text must be the same) is
refused.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.base import ModelState
from django.db.models.fields.mixins import FieldCacheMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query import (  # type: ignore[attr-defined]  # get_related_populators is not in the stubs
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init

# The Django minor version these internals were read for: `QuerySet._iterable_class`, `ModelIterable`,
# `ValuesListIterable`, `get_related_populators`, the SQLCompiler's `as_sql()`, `klass_info`, `select`,
# `annotation_col_map`, `results_iter(tuple_expected=...)` and what it does with `get_converters`, `apply_converters`
# and `has_composite_fields` (_converted), `ModelState` (no __init__ of its own), `FieldCacheMixin.set_cached_value` and
# the no-op remote setter of a non-unique foreign key (_forward_cache_name), `Model.from_db`,
# `QuerySet._known_related_objects` and `_prefetch_related_lookups`, what `Model.__init__` does with positional values,
# `RelatedPopulator`'s attributes and `populate` (_instance_maker, _populator), how `QuerySet.count()` sends its one
# statement (shaped_count), and which `connection.ops.adapt_*field_value` a comparison with a date, datetime or decimal
# column goes through (_adapt). test_compiled.py fails on any other version until they are checked again against its
# django/db/models/base.py, query.py, sql/compiler.py, sql/query.py and fields/__init__.py.
WRITTEN_FOR_DJANGO = (5, 2)

M = TypeVar("M", bound=models.Model)
_C = TypeVar("_C")

_INT_MARK = -(2**62)  # far from any id, and still a 64-bit integer the databases accept
_STR_MARK = "\x00compiled-query-parameter:"
# Days and instants no record holds (before the first CRM), distinct per parameter and per marker set.
_DATE_MARK = dt.date(1901, 1, 1)
_DATETIME_MARK = dt.datetime(1901, 1, 1, tzinfo=dt.UTC)
_DECIMAL_MARK = Decimal("-987654321987.654321")

PARAMETER_TYPES: tuple[type, ...] = (int, str, dt.datetime, dt.date, Decimal)
_TYPES_NAMED = "int, str, datetime (aware), date or Decimal"
# A ShapedQuery's parameter may also be a list of ids, sent as one array parameter (`id = ANY(%s)` on PostgreSQL:
# core.pagination._among), whatever its length; a backend that writes one parameter per id gives each id its own
# place in the SQL, so the list is not found as itself and the shape runs as its plain queryset.


def _marks(parameters: Mapping[str, type], variant: int = 0) -> dict[str, Any]:
    """A marker value per parameter, of its type, unlike any other marker (of this set or of another variant)."""
    marks: dict[str, Any] = {}
    for index, (name, kind) in enumerate(parameters.items()):
        if kind is int:
            marks[name] = _INT_MARK + variant * 10_000 + index
        elif kind is str:
            marks[name] = f"{_STR_MARK}{variant}:{name}"
        elif kind is dt.datetime:
            marks[name] = _DATETIME_MARK + dt.timedelta(days=variant, microseconds=index + 1)
        elif kind is dt.date:
            marks[name] = _DATE_MARK + dt.timedelta(days=1000 * variant + index + 1)
        elif kind is Decimal:
            marks[name] = _DECIMAL_MARK - variant * 10_000 - index
        elif kind is list:
            marks[name] = [_INT_MARK + variant * 10_000 + index]
        else:
            raise ImproperlyConfigured(f"Compiled parameters are {_TYPES_NAMED}, not {kind}.")
    return marks


def _adapt(connection: BaseDatabaseWrapper, value: Any) -> Any:
    """`value` as Django sends it for a column of its type (`Field.get_db_prep_value` of a date, datetime or
    decimal field: the backend's adapter; SQLite takes them as text, PostgreSQL as themselves)."""
    kind = type(value)
    if kind is int or kind is str:
        return value
    if kind is dt.datetime:
        if value.utcoffset() is None:
            # A naive instant would be read in the current time zone by the ORM (with a warning): not ours to guess.
            raise TypeError("compiled datetime parameters are aware")
        return connection.ops.adapt_datetimefield_value(value)
    if kind is dt.date:
        return connection.ops.adapt_datefield_value(value)
    if kind is Decimal:
        return connection.ops.adapt_decimalfield_value(value)
    if kind is list:  # ids, sent as Django sends a Value(list): as they are
        return value
    raise TypeError(f"compiled parameters are {_TYPES_NAMED}, not {kind}")


class _Unreached(ImproperlyConfigured):
    """A parameter that does not reach the SQL as itself (or not at all)."""


def _find_slots(connection: BaseDatabaseWrapper, params: Any, marks: Mapping[str, Any], kind: str) -> _Slots:
    """Per SQL parameter, the caller's parameter whose marker it is, or None for a constant of the query. Every
    marker must reach the SQL as the backend adapts it: one that went through anything else is not found.

    An integer the backend sends typed (psycopg's `Int4(7)`: Django's PostgreSQL backend so adapts an integer
    field's value, e.g. a `Value(7)` cast to bigint) is its marker too; its slot keeps the type, and the value is
    sent in it (`_sent`), as Django would send it."""
    adapted = {}
    for mark_name, value in marks.items():
        sent = _adapt(connection, value)
        adapted[_hashed(sent)] = mark_name
    slots: list[tuple[str | None, Any]] = []
    for p in params:
        name: str | None
        typed = type(p) is not int and type(p) is not bool and isinstance(p, int)
        try:
            name = adapted.get((int, int(p)) if typed else _hashed(p))
        except TypeError:  # an unhashable constant (a dict): never a marker
            name = None
        # A constant's slot holds its value; a parameter's, the type its value is sent in (None: as adapted).
        slots.append((name, p) if name is None else (name, type(p) if typed else None))
    if {name for name, _ in slots if name is not None} != set(marks):
        raise _Unreached(f"Every {kind} parameter must reach the SQL as itself.")
    return tuple(slots)


def _sent(connection: BaseDatabaseWrapper, value: Any, typed: Any) -> Any:
    """A parameter's value as its slot sends it (`_find_slots`)."""
    adapted = _adapt(connection, value)
    return adapted if typed is None else typed(adapted)


def _params(connection: BaseDatabaseWrapper, slots: _Slots, values: Mapping[str, Any]) -> list[Any]:
    """The statement's parameters: each slot's constant, or the caller's value it holds the place of."""
    return [constant if name is None else _sent(connection, values[name], constant) for name, constant in slots]


def _hashed(value: Any) -> tuple[type, Any]:
    """A key telling a parameter's value and type apart (True is not 1): a list by its items (a marker list)."""
    return (list, tuple(value)) if type(value) is list else (type(value), value)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per SQL parameter: the name of the caller's parameter that goes there, or None to pass `constant`.
    slots: tuple[tuple[str | None, Any], ...]
    compiler: Any  # the SQLCompiler that compiled `sql`: its select list maps row columns to model fields
    model: type[models.Model]
    fields_start: int
    fields_end: int
    init_list: tuple[str, ...]
    related_populators: tuple[Any, ...]
    fast: _Fast | None  # a lighter way to make the same instances, where it applies (`_instance_maker`)
    # The rows as `compiler.results_iter([rows])` gives them, with the converters it would look up on every call
    # looked up once (they depend on the compiled columns and the connection's backend only).
    converted: Callable[[list[Any]], Iterable[Any]]


_Slots = tuple[tuple[str | None, Any], ...]  # per SQL parameter: the caller's parameter that goes there, or a constant


class _Precompiled(Generic[_C]):
    """What both compiled kinds share: the parameters, their marker values, one compilation per connection."""

    kind = "Compiled"

    def __init__(self, build: Callable[..., Any], using: str = DEFAULT_DB_ALIAS, **parameters: type) -> None:
        if any(kind not in PARAMETER_TYPES for kind in parameters.values()):
            raise ImproperlyConfigured(f"{self.kind} parameters are {_TYPES_NAMED}.")
        self._build = build
        self._using = using
        self._parameters = parameters
        # One compilation per connection object: connections are per thread, and the SQL and the row converters
        # belong to the connection's backend. An entry goes with its connection.
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _C] = weakref.WeakKeyDictionary()

    def _built(self) -> tuple[Any, dict[str, Any]]:
        """The queryset built with a marker for each parameter, and the markers."""
        marks = _marks(self._parameters)
        return self._build(**marks), marks

    def _compile(self, connection: BaseDatabaseWrapper) -> _C:
        raise NotImplementedError

    def _run(self, values: dict[str, Any]) -> tuple[_C, list[Any]]:
        """The connection's compilation and the rows its SQL returns for `values`."""
        if values.keys() != self._parameters.keys() or any(
            type(values[name]) is not kind for name, kind in self._parameters.items()
        ):
            raise TypeError(f"{self.kind} expects exactly {self._parameters}, got {values!r}")
        connection = connections[self._using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(connection)
        sql, slots = self._sql(compiled)
        params = _params(connection, slots, values)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return compiled, cursor.fetchall()

    def _sql(self, compiled: _C) -> tuple[str, _Slots]:
        raise NotImplementedError


class CompiledQuery(_Precompiled[_Compiled], Generic[M]):
    """`build(**parameters)` returns the queryset; `parameters` names each parameter's type (int or str).

    Calling the object with the parameters' values returns the list the queryset would have returned.
    """

    kind = "CompiledQuery"

    def __init__(
        self, build: Callable[..., models.QuerySet[M]], using: str = DEFAULT_DB_ALIAS, **parameters: type
    ) -> None:
        super().__init__(build, using, **parameters)

    def _compile(self, connection: BaseDatabaseWrapper) -> _Compiled:
        queryset, marks = self._built()
        return _compile_instances(queryset, marks, connection, self._using, self.kind)

    def _sql(self, compiled: _Compiled) -> tuple[str, _Slots]:
        return compiled.sql, compiled.slots

    def __call__(self, **values: Any) -> list[M]:
        compiled, rows = self._run(values)
        return _load(compiled, rows, self._using)  # type: ignore[return-value]  # instances of the queryset's model


def _compile_instances(
    queryset: models.QuerySet[Any], marks: Mapping[str, Any], connection: BaseDatabaseWrapper, using: str, kind: str
) -> _Compiled:
    """The SQL of a queryset of model instances built with `marks`, and how to load its rows (ModelIterable's way)."""
    # values() and the like load rows differently; prefetches and a related manager's known objects are added by
    # the queryset's iteration, which this does not run.
    if queryset._iterable_class is not ModelIterable:
        raise ImproperlyConfigured(f"{kind} takes querysets of model instances.")
    if queryset._prefetch_related_lookups or queryset._known_related_objects:  # type: ignore[attr-defined]  # private
        raise ImproperlyConfigured(f"{kind} does not prefetch or attach known related objects.")
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if compiler.annotation_col_map:
        raise ImproperlyConfigured(f"{kind} does not load annotations.")
    slots = _find_slots(connection, params, marks, kind)
    klass_info, select = compiler.klass_info, compiler.select
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = tuple(column[0].target.attname for column in select[start:end])
    related_populators = tuple(get_related_populators(klass_info, select, using))
    return _Compiled(
        sql=sql,
        slots=slots,
        compiler=compiler,
        model=klass_info["model"],
        fields_start=start,
        fields_end=end,
        init_list=init_list,
        related_populators=related_populators,
        fast=_fast(klass_info["model"], init_list, related_populators),
        converted=_converted(compiler),
    )


def instances_of(queryset: models.QuerySet[M]) -> list[M]:
    """`list(queryset)` for a queryset read once (a search's page: its words and the ids its pin found make each
    request's SQL its own, no shape), its instances made as a compiled shape's are (`_load`): the same statement,
    compiled once, and the same instances, without `Model.__init__`'s walk over every column for each record and
    each linked record (docs/performance.md, "What a selector does beyond its floor, a third time"). A queryset
    `_load` does not reproduce (values, prefetches, annotations, known related objects, or read already) is listed
    by Django."""
    if queryset._result_cache is not None:  # read already: Django's own cache
        return list(queryset)
    _check_scoped(queryset)  # what a tenant queryset's own iteration checks first
    using = queryset.db
    connection = connections[using]
    try:
        compiled = _compile_instances(queryset, {}, connection, using, "instances_of")
    except ImproperlyConfigured:
        return list(queryset)
    except EmptyResultSet:  # a condition that matches nothing: Django sends no statement either
        return []
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, [constant for _, constant in compiled.slots])
        rows = cursor.fetchall()
    return _load(compiled, rows, using)  # type: ignore[return-value]  # instances of the queryset's model


def _converted(compiler: Any) -> Callable[[list[Any]], Iterable[Any]]:
    """`compiler.results_iter([rows])`, its converters looked up now rather than on every call."""
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    if compiler.has_composite_fields(fields):
        return lambda rows: compiler.results_iter([rows])  # Django's own, unchanged
    converters = compiler.get_converters(fields)
    if not converters:
        return lambda rows: rows
    apply = compiler.apply_converters
    return lambda rows: apply(rows, converters)


def _load(compiled: _Compiled, rows: list[Any], using: str) -> list[models.Model]:
    """The model instances of `rows`, with their select_related objects, as ModelIterable makes them."""
    objects = []
    init_list = list(compiled.init_list)
    start, end = compiled.fields_start, compiled.fields_end
    fast = compiled.fast
    # No receiver at all (the signals' lists are empty) is the common case, told without asking per model.
    if fast is not None and (
        not (pre_init.receivers or post_init.receivers)
        or not any(pre_init.has_listeners(model) or post_init.has_listeners(model) for model in fast.models)
    ):
        make, populators = fast.make, fast.populators
        if fast.forward is not None:
            return _load_forward(make, fast.forward, compiled.converted(rows), start=start, end=end, using=using)
        # Per linked relation, the records this load made, by id: the rows of a page share few owners, sources and
        # campaigns (26 companies, 13 owners, 12 sources, 4 campaigns), each made once (see `_populator`).
        linked: list[tuple[_Populate, dict[Any, Any]]] = [(populate, {}) for populate in populators]
        for row in compiled.converted(rows):
            obj = make(using, row[start:end])
            for populate, seen in linked:
                populate(row, obj, using, seen)
            objects.append(obj)
        return objects
    from_db = compiled.model.from_db
    for row in compiled.converted(rows):
        obj = from_db(using, init_list, row[start:end])
        for populator in compiled.related_populators:
            populator.populate(row, obj)
        objects.append(obj)
    return objects


def _load_forward(
    make: Callable[[str, Any], Any],
    forward: tuple[_Forward, ...],
    rows: Iterable[Any],
    *,
    start: int,
    end: int,
    using: str,
) -> list[models.Model]:
    """`_load` where every linked record is a forward key's: `_populator`'s `populate_forward` inlined, one Python
    call fewer per row and relation (78 of a call's 840), the row's cache of linked records made at once."""
    objects = []
    # Per relation, the records this load made, by id (see `_populator`).
    linked: list[tuple[Any, ...]] = [(*spec, {}) for spec in forward]
    for row in rows:
        obj = make(using, row[start:end])
        cache = obj._state.fields_cache = {}  # what ModelState's descriptor makes on first use
        for at, first, last, name, make_linked, seen in linked:
            pk = row[at]
            if pk is None:
                cache[name] = None
                continue
            record = seen.get(pk)
            if record is None:
                record = seen[pk] = make_linked(using, row[first:last])
            cache[name] = record
        objects.append(obj)
    return objects


# Making model instances the way `Model.from_db` does, without its per-instance work: from_db fills every
# deferred column with a marker, and `Model.__init__` then walks every column, sends two signals and sets each
# value through `setattr`. For a page of 25 records with their linked records that was about a third of what the
# ORM added to a list read. The result is the same instance: its `_state` (not adding, its database) and its
# loaded columns in `__dict__`, the deferred ones absent. Only for models whose `__init__` and `from_db` are
# Django's and whose loaded columns' attributes are Django's plain ones (a descriptor with a setter of its own
# would be skipped), and only while no pre_init or post_init receiver listens (checked on every load).
_PLAIN_ATTRIBUTES = (DeferredAttribute, ForeignKeyDeferredAttribute)


def _instance_maker(model: type[models.Model], init_list: Sequence[str]) -> Callable[[str, Any], Any] | None:
    own_from_db = getattr(model.from_db, "__func__", None) is not getattr(models.Model.from_db, "__func__", None)
    if model.__init__ is not models.Model.__init__ or own_from_db:
        return None
    if any(type(getattr(model, name, None)) not in _PLAIN_ATTRIBUTES for name in init_list):
        return None
    attnames = tuple(init_list)
    new = object.__new__

    def make(db: str, values: Any) -> Any:
        obj = new(model)
        # ModelState has no __init__ of its own: the same state as ModelState(), one call fewer.
        state = new(ModelState)
        state.adding = False
        state.db = db
        loaded = obj.__dict__
        loaded["_state"] = state
        # The values are the row's slice of these columns, as long as `attnames` by construction; `strict=True` made
        # each call pass a keyword through zip's constructor: 0.9 us an instance, a third of its cost.
        loaded.update(zip(attnames, values))  # noqa: B905
        return obj

    return make


# A linked record's populator: (the row, the record it links from, the database, the linked records made so far in
# this load by id).
_Populate = Callable[[Any, Any, str, dict[Any, Any]], None]


def _populator(related: Any) -> _Populate | None:
    """RelatedPopulator.populate with `_instance_maker`'s instances, or None where it reorders columns (a parent
    model's) or the linked model is not one the maker makes.

    A forward foreign key's record is made once per load and id, and shared by the rows that link to it (`seen`),
    as the list pages' known records are (records.listing.attach_known): the key's remote setter does nothing, so a
    linked record holds nothing of the row it was read with, and the rows of one statement read the same columns of
    it. `select_related` makes one per row: 81 instances for the 26 companies a page reads, where 55 differ."""
    if related.reorder_for_init is not None:
        return None
    make = _instance_maker(related.model_cls, related.init_list)
    children = [_populator(child) for child in related.related_populators]
    if make is None or any(child is None for child in children):
        return None
    start, end, pk_idx = related.cols_start, related.cols_end, related.pk_idx
    local_setter, remote_setter = related.local_setter, related.remote_setter
    forward = _forward(related, make)
    if forward is not None:
        at, _, _, cache_name, _ = forward

        def populate_forward(row: Any, from_obj: Any, db: str, seen: dict[Any, Any]) -> None:
            pk = row[at]
            if pk is None:
                obj = None
            else:
                obj = seen.get(pk)
                if obj is None:
                    obj = seen[pk] = make(db, row[start:end])
            from_obj._state.fields_cache[cache_name] = obj

        return populate_forward

    def populate(row: Any, from_obj: Any, db: str, seen: dict[Any, Any]) -> None:
        # A one-to-one key's or a record with linked records of its own: one per row, as Django makes them.
        data = row[start:end]
        if data[pk_idx] is None:
            obj = None
        else:
            obj = make(db, data)
            for child in children:
                child(row, obj, db, {})  # type: ignore[misc]  # none is None (checked above)
        local_setter(from_obj, obj)
        if obj is not None:
            remote_setter(obj, from_obj)

    return populate


# A forward key's linked record in a row: where its id is, its columns (first, last), its cache name, its maker.
_Forward = tuple[int, int, int, str, Callable[[str, Any], Any]]


def _forward(related: Any, make: Callable[[str, Any], Any] | None) -> _Forward | None:
    """Where a forward foreign key (not one-to-one) without linked records of its own puts its record: `local_setter`
    puts it in the row's cache of linked records and `remote_setter` does nothing (compiler.get_related_selections
    gives a no-op for a non-unique key). None for any other populator."""
    cache_name = _forward_cache_name(related.local_setter)
    if cache_name is None or related.related_populators or related.reorder_for_init is not None or make is None:
        return None
    start, end = related.cols_start, related.cols_end
    return start + related.pk_idx, start, end, cache_name, make


def _forward_cache_name(local_setter: Any) -> str | None:
    """The cache name a forward, non-unique foreign key's `set_cached_value` (the populator's `local_setter`) writes
    under, or None for any other setter."""
    field = getattr(local_setter, "__self__", None)
    if (
        type(field) is not models.ForeignKey
        or field.unique
        or getattr(local_setter, "__func__", None) is not FieldCacheMixin.set_cached_value
    ):
        return None
    return str(field.cache_name)


@dataclass(frozen=True)
class _Fast:
    make: Callable[[str, Any], Any]
    populators: tuple[_Populate, ...]
    models: tuple[type[models.Model], ...]  # every model it makes: the signals' senders
    forward: tuple[_Forward, ...] | None  # every populator's, when they are all forward keys' (`_load_forward`)


def _fast(model: type[models.Model], init_list: Sequence[str], related_populators: Sequence[Any]) -> _Fast | None:
    make = _instance_maker(model, init_list)
    populators = [_populator(related) for related in related_populators]
    if make is None or any(populate is None for populate in populators):
        return None
    senders = {model}
    pending = list(related_populators)
    while pending:
        related = pending.pop()
        senders.add(related.model_cls)
        pending += related.related_populators
    forward = [
        _forward(related, _instance_maker(related.model_cls, related.init_list)) for related in related_populators
    ]
    return _Fast(
        make,
        tuple(populators),  # type: ignore[arg-type]  # none is None (checked above)
        tuple(senders),
        None if any(spec is None for spec in forward) else tuple(forward),  # type: ignore[arg-type]  # idem
    )


_CompiledRows = tuple[str, _Slots, Any]  # SQL, parameter slots, compiler


class CompiledRows(_Precompiled[_CompiledRows]):
    """A `values_list()` queryset compiled once per connection, as `CompiledQuery` compiles querysets of instances.

    Calling it with the parameters' values returns the rows as tuples, exactly as `list(queryset)` would.
    """

    kind = "CompiledRows"

    def _compile(self, connection: BaseDatabaseWrapper) -> _CompiledRows:
        queryset, marks = self._built()
        # Named or flat rows, and values() dicts, are built differently.
        if queryset._iterable_class is not ValuesListIterable:
            raise ImproperlyConfigured("CompiledRows takes values_list() querysets.")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        return sql, _find_slots(connection, params, marks, self.kind), compiler

    def _sql(self, compiled: _CompiledRows) -> tuple[str, _Slots]:
        return compiled[0], compiled[1]

    def __call__(self, **values: Any) -> list[tuple[Any, ...]]:
        compiled, rows = self._run(values)
        return list(compiled[2].results_iter([rows], tuple_expected=True))


class ShapedQuery(Generic[M]):
    """A queryset given as its shape and its parameters: `build(values)` makes it from `values` or from any others
    of the same types, and `shape` names everything else its SQL depends on (which filters are set, the sort, the
    limit...): two queries with the same shape and parameter types must build the same SQL with the same markers.
    Run it with `shaped_instances` or `shaped_count`; `queryset()` is the plain queryset, for anything else."""

    __slots__ = ("build", "model", "shape", "values")

    def __init__(
        self,
        model: type[M],
        shape: Hashable,
        values: Mapping[str, Any],
        build: Callable[[Mapping[str, Any]], models.QuerySet[M]],
    ) -> None:
        self.model = model
        self.shape = shape
        self.values = values
        self.build = build

    def queryset(self) -> models.QuerySet[M]:
        return self.build(self.values)

    def refine(
        self,
        shape: Hashable,
        values: Mapping[str, Any],
        refine: Callable[[models.QuerySet[M], Mapping[str, Any]], models.QuerySet[M]],
    ) -> ShapedQuery[M]:
        """This query narrowed by `refine(queryset, values)`; `shape` names whatever `refine` does besides the
        `values` it takes (their names must be new)."""
        if values.keys() & self.values.keys():
            raise ValueError(f"parameters named twice: {sorted(values.keys() & self.values.keys())}")
        build = self.build
        return ShapedQuery(self.model, (self.shape, shape), {**self.values, **values}, lambda v: refine(build(v), v))


# A connection's compiled shapes, the least recently used dropped beyond this many: a list has a few hundred
# shapes (filter combinations x sorts x directions); what an odd request adds does not stay.
SHAPES_PER_CONNECTION = 512


class _CapturedStatement(Exception):
    """Not an error: how a compilation stops the statement it captured from being sent."""

    def __init__(self, sql: str, params: Any) -> None:
        super().__init__(sql)
        self.sql, self.params = sql, params


def _capture(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    raise _CapturedStatement(sql, params)


_CountCompiled = tuple[str, _Slots]

_shapes: weakref.WeakKeyDictionary[BaseDatabaseWrapper, OrderedDict[Hashable, Any]] = weakref.WeakKeyDictionary()


# A shape a parameter of which does not reach its SQL as itself: run as the plain queryset.
_PLAIN = object()


def _shape_compiled(
    query: ShapedQuery[Any], what: str, compile_with: Callable[[models.QuerySet[Any], Mapping[str, Any]], Any]
) -> tuple[BaseDatabaseWrapper, Any, list[Any]] | None:
    """The connection, the compilation of `query`'s shape (compiled now if new) and its parameters adapted; None
    for a shape that is run as its plain queryset: one of its parameters is not in its SQL as itself (a filter set
    but overruled by another, `owner` under `unowned`), so the SQL cannot be replayed with the values."""
    values = query.values
    types = tuple((name, type(value)) for name, value in values.items())
    key = (what, query.model, query.shape, types)
    connection = connections[router.db_for_read(query.model)]
    cache = _shapes.get(connection)
    if cache is None:
        cache = _shapes[connection] = OrderedDict()
    compiled = cache.get(key)
    if compiled is None:
        parameters = dict(types)
        # Built and compiled with two different marker sets: the same SQL, or the shape lacks something its SQL
        # depends on (a value that changes a join, an IN list's length...) and a cache entry would serve others.
        try:
            first = compile_with(query.build(marks := _marks(parameters, 0)), marks)
            second = compile_with(query.build(marks := _marks(parameters, 1)), marks)
        except _Unreached:
            first = second = _PLAIN
        if first is not _PLAIN and _sql_and_names(first) != _sql_and_names(second):
            raise ImproperlyConfigured(f"The SQL of shape {query.shape!r} depends on its parameters' values.")
        compiled = cache[key] = first
        while len(cache) > SHAPES_PER_CONNECTION:  # `while`: the bound holds even after it was lowered
            cache.popitem(last=False)
    else:
        cache.move_to_end(key)
    if compiled is _PLAIN:
        return None
    slots = compiled.slots if isinstance(compiled, _Compiled) else compiled[1]
    params = _params(connection, slots, values)
    return connection, compiled, params


def shape_counts(using: str = DEFAULT_DB_ALIAS) -> tuple[int, int]:
    """How many shapes the connection holds compiled, and how many it runs as their plain querysets."""
    cache = _shapes.get(connections[using], OrderedDict())
    plain = sum(1 for compiled in cache.values() if compiled is _PLAIN)
    return len(cache) - plain, plain


def _sql_and_names(compiled: _Compiled | tuple[Any, ...]) -> tuple[str, tuple[str | None, ...]]:
    sql, slots = (compiled.sql, compiled.slots) if isinstance(compiled, _Compiled) else compiled[:2]
    return sql, tuple(name for name, _ in slots)


def shaped_instances(query: ShapedQuery[M]) -> list[M]:
    """The model instances `list(query.queryset())` would give, through the shape's SQL compiled once."""
    using = router.db_for_read(query.model)

    def compile_with(queryset: models.QuerySet[Any], marks: Mapping[str, Any]) -> _Compiled:
        _check_scoped(queryset)
        return _compile_instances(queryset, marks, connections[using], using, "ShapedQuery")

    found = _shape_compiled(query, "instances", compile_with)
    if found is None:
        return list(query.queryset())
    connection, compiled, params = found
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, params)
        rows = cursor.fetchall()
    return _load(compiled, rows, using)  # type: ignore[return-value]  # instances of the queryset's model


def shaped_count(query: ShapedQuery[Any]) -> int:
    """`query.queryset().count()`, through the shape's SQL compiled once: the statement `count()` sends."""
    using = router.db_for_read(query.model)

    def compile_with(queryset: models.QuerySet[Any], marks: Mapping[str, Any]) -> _CountCompiled:
        _check_scoped(queryset)
        connection = connections[using]
        # The captured statement is never sent: kept out of the logged queries (tests' CaptureQueriesContext; with
        # DEBUG on, connection.queries still lists it, once per shape).
        logged, connection.force_debug_cursor = connection.force_debug_cursor, False
        try:
            with connection.execute_wrapper(_capture):
                queryset.count()
        except _CapturedStatement as captured:
            return captured.sql, _find_slots(connection, captured.params, marks, "ShapedQuery")
        finally:
            connection.force_debug_cursor = logged
        # An empty result known without asking the database (`none()`): nothing a shape could replay.
        raise ImproperlyConfigured("This count sends no statement.")

    found = _shape_compiled(query, "count", compile_with)
    if found is None:
        return query.queryset().count()
    connection, compiled, params = found
    with connection.cursor() as cursor:
        cursor.execute(compiled[0], params)
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def shaped_rows(query: ShapedQuery[Any]) -> list[tuple[Any, ...]]:
    """The tuples `list(query.queryset())` gives for a `values_list()` queryset (not flat: a caller wanting one
    column takes each tuple's first; the SQL is the same), through the shape's SQL compiled once."""
    using = router.db_for_read(query.model)

    def compile_with(queryset: models.QuerySet[Any], marks: Mapping[str, Any]) -> _CompiledRows:
        _check_scoped(queryset)
        if queryset._iterable_class is not ValuesListIterable:
            raise ImproperlyConfigured("shaped_rows takes values_list() querysets.")
        compiler = queryset.query.get_compiler(connection=connections[using])
        sql, params = compiler.as_sql()
        return sql, _find_slots(connections[using], params, marks, "ShapedQuery"), compiler

    found = _shape_compiled(query, "rows", compile_with)
    if found is None:
        return list(query.queryset())
    connection, compiled, params = found
    with connection.cursor() as cursor:
        cursor.execute(compiled[0], params)
        rows = cursor.fetchall()
    return list(compiled[2].results_iter([rows], tuple_expected=True))


def shaped_statement(query: ShapedQuery[Any]) -> tuple[str, list[Any]]:
    """The statement of `query.queryset()` and its parameters, as its compiler's `as_sql()` gives them, the shape's
    SQL compiled once: for a caller that sends it inside another (the planner's estimate: `EXPLAIN ...`).
    EmptyResultSet as `as_sql()` raises it, for a queryset that can match nothing."""
    using = router.db_for_read(query.model)

    def compile_with(queryset: models.QuerySet[Any], marks: Mapping[str, Any]) -> _CountCompiled:
        _check_scoped(queryset)
        sql, params = queryset.query.get_compiler(connection=connections[using]).as_sql()
        return sql, _find_slots(connections[using], params, marks, "ShapedQuery")

    found = _shape_compiled(query, "statement", compile_with)
    if found is None:
        sql, params = query.queryset().query.get_compiler(using=using).as_sql()
        return sql, list(params)
    _connection, compiled, params = found
    return compiled[0], params


def _check_scoped(queryset: models.QuerySet[Any]) -> None:
    """A tenant queryset runs only scoped to its account (core.models.TenantQuerySet), compiled or not."""
    check = getattr(queryset, "_check_scope", None)
    if check is not None:
        check()
