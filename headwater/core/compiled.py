"""Querysets compiled to SQL once, for the lookups that every request makes.

Django builds a queryset and compiles its SQL each time it is evaluated. For the lookups behind every request (the
caller's memberships on each page of an account, the token of each API call) that was most of their cost: about
2 ms of a 3 ms membership lookup went to building and compiling, well under 1 ms to the database, although only
the parameters ever change. A `CompiledQuery` builds its queryset once per database connection, with marker
values for its parameters, keeps the SQL, and from then on runs that SQL with the real values, loading the model
instances (and their `select_related` objects) the way Django's own queryset iteration does.

Only for querysets of model instances whose parameters are plain `int` or `str` values, each appearing in the SQL
as itself (equality lookups); anything else is refused when the query is first compiled. `CompiledRows` does the
same for `values_list()` querysets (tuples, with the fields' converters applied as Django applies them).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import (  # type: ignore[attr-defined]  # get_related_populators is not in the stubs
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)

# The Django minor version these internals were read for: `QuerySet._iterable_class`, `ModelIterable`,
# `ValuesListIterable`, `get_related_populators`, the SQLCompiler's `as_sql()`, `klass_info`, `select`,
# `annotation_col_map` and `results_iter(tuple_expected=...)`, and `Model.from_db`. test_compiled.py fails on any
# other version until they are checked again against its django/db/models/query.py and sql/compiler.py.
WRITTEN_FOR_DJANGO = (5, 2)

M = TypeVar("M", bound=models.Model)
_C = TypeVar("_C")

_INT_MARK = -(2**62)  # far from any id, and still a 64-bit integer the databases accept
_STR_MARK = "\x00compiled-query-parameter:"


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


_Slots = tuple[tuple[str | None, Any], ...]  # per SQL parameter: the caller's parameter that goes there, or a constant


class _Precompiled(Generic[_C]):
    """What both compiled kinds share: the parameters, their marker values, one compilation per connection."""

    kind = "Compiled"

    def __init__(self, build: Callable[..., Any], using: str = DEFAULT_DB_ALIAS, **parameters: type) -> None:
        if any(kind not in (int, str) for kind in parameters.values()):
            raise ImproperlyConfigured(f"{self.kind} parameters are int or str.")
        self._build = build
        self._using = using
        self._parameters = parameters
        # One compilation per connection object: connections are per thread, and the SQL and the row converters
        # belong to the connection's backend. An entry goes with its connection.
        self._compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _C] = weakref.WeakKeyDictionary()

    def _built(self) -> tuple[Any, dict[str, Any]]:
        """The queryset built with a marker for each parameter, and the markers."""
        marks: dict[str, Any] = {
            name: _INT_MARK + index if kind is int else f"{_STR_MARK}{name}"
            for index, (name, kind) in enumerate(self._parameters.items())
        }
        return self._build(**marks), marks

    def _slots(self, params: Any, marks: dict[str, Any]) -> _Slots:
        names = {(type(value), value): name for name, value in marks.items()}
        slots = tuple((names.get((type(p), p)) if type(p) in (int, str) else None, p) for p in params)
        if {name for name, _ in slots if name is not None} != set(marks):
            raise ImproperlyConfigured(f"Every {self.kind} parameter must reach the SQL as itself.")
        return slots

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
        params = [constant if name is None else values[name] for name, constant in slots]
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
        # values() and the like load rows differently.
        if queryset._iterable_class is not ModelIterable:
            raise ImproperlyConfigured("CompiledQuery takes querysets of model instances.")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        if compiler.annotation_col_map:
            raise ImproperlyConfigured("CompiledQuery does not load annotations.")
        slots = self._slots(params, marks)
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            slots=slots,
            compiler=compiler,
            model=klass_info["model"],
            fields_start=start,
            fields_end=end,
            init_list=tuple(column[0].target.attname for column in select[start:end]),
            related_populators=tuple(get_related_populators(klass_info, select, self._using)),
        )

    def _sql(self, compiled: _Compiled) -> tuple[str, _Slots]:
        return compiled.sql, compiled.slots

    def __call__(self, **values: Any) -> list[M]:
        compiled, rows = self._run(values)
        objects = []
        init_list = list(compiled.init_list)
        for row in compiled.compiler.results_iter([rows]):
            obj = compiled.model.from_db(self._using, init_list, row[compiled.fields_start : compiled.fields_end])
            for populator in compiled.related_populators:
                populator.populate(row, obj)
            objects.append(obj)
        return objects  # type: ignore[return-value]  # instances of the queryset's model


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
        return sql, self._slots(params, marks), compiler

    def _sql(self, compiled: _CompiledRows) -> tuple[str, _Slots]:
        return compiled[0], compiled[1]

    def __call__(self, **values: Any) -> list[tuple[Any, ...]]:
        compiled, rows = self._run(values)
        return list(compiled[2].results_iter([rows], tuple_expected=True))
