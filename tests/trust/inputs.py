"""What each page and each API operation reads from a request, found from the code itself: the fuzzers walk these.

A hand-kept list of query keys missed `created_from`/`created_to` and `closed_from`/`closed_to`. Instead:

- Pages: one real request to the route while every read of a query string or form (`QueryDict.get`, `[]`,
  `in`, `getlist`) is recorded, and every form the view builds is kept; the keys a page reads are the keys it is
  fuzzed with, and the form fields (as their prefixed names) are walked even when a view reads them only when
  valid. A new filter, a new form field, a new `request.GET.get(...)`: all walked without editing anything here.
- API: the query parameters of each operation from django-ninja's own parameter models (nested schemas flattened,
  by alias), the same models that parse the request.
- Cursors: which list and sort a page or an operation pages through, read from a real answer (the page's
  `page` in its context, the operation's `next` cursor), so well-formed cursors signed for that list can carry
  hostile values.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.apps import apps
from django.db import models
from django.utils.datastructures import MultiValueDict
from pydantic import BaseModel

from config.api import api
from headwater.core.cursors import InvalidCursor, read_cursor


@dataclass
class Reads:
    """The query-string (or form) keys one request read, and the forms it built."""

    keys: set[str] = field(default_factory=set)
    forms: list[forms.BaseForm] = field(default_factory=list)

    @property
    def form_fields(self) -> set[str]:
        return {form.add_prefix(name) for form in self.forms for name in form.fields}

    @property
    def date_fields(self) -> set[str]:
        """The fields that take a day: fuzzed mostly with days, the edge years and time zones' troubles."""
        return {
            form.add_prefix(name)
            for form in self.forms
            for name, field in form.fields.items()
            if isinstance(field, forms.DateField)
        }

    @property
    def walked(self) -> set[str]:
        return self.keys | self.form_fields


_READERS = ("__getitem__", "get", "getlist", "__contains__")


@contextlib.contextmanager
def recording_reads() -> Iterator[Reads]:
    """Record every key looked up in a QueryDict (request.GET / request.POST) and every form built meanwhile."""
    reads = Reads()
    saved = {name: MultiValueDict.__dict__.get(name) for name in _READERS}
    originals = {name: getattr(MultiValueDict, name) for name in _READERS}

    def reader(name: str) -> Any:
        original = originals[name]

        def read(self: MultiValueDict[Any, Any], key: Any, *args: Any) -> Any:
            if isinstance(key, str):
                reads.keys.add(key)
            return original(self, key, *args)

        return read

    init = forms.BaseForm.__init__

    def recording_init(self: forms.BaseForm, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        reads.forms.append(self)

    try:
        for name in _READERS:
            setattr(MultiValueDict, name, reader(name))
        forms.BaseForm.__init__ = recording_init  # type: ignore[method-assign]  # restored below
        yield reads
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(MultiValueDict, name)
            else:
                setattr(MultiValueDict, name, value)
        forms.BaseForm.__init__ = init  # type: ignore[method-assign]  # the original, put back


# --- The API ------------------------------------------------------------------------------------------------


def _leaves(model: type[BaseModel]) -> dict[str, Any]:
    """{parameter name: pydantic FieldInfo} of a ninja parameter model, nested schemas flattened."""
    found: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found.update(_leaves(annotation))
        else:
            found[info.alias or name] = info
    return found


def api_query_parameters() -> dict[str, dict[str, Any]]:
    """{operationId: {query parameter: FieldInfo}} for every operation, from ninja's parameter models."""
    found: dict[str, dict[str, Any]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                params: dict[str, Any] = {}
                for model in operation.models:
                    if getattr(model, "__ninja_param_source__", None) == "query":
                        params.update(_leaves(model))
                found[operation.view_func.__name__] = params
    return found


def orderings_of(parameter: Any) -> list[str]:
    """The orderings an `ordering` parameter allows, from its pattern (`^-?(created_at|id|name)$`)."""
    for meta in parameter.metadata:
        pattern = getattr(meta, "pattern", None)
        if pattern:
            names = re.fullmatch(r"\^-\?\((.*)\)\$", pattern)
            assert names, pattern
            return [f"{sign}{name}" for name in names.group(1).split("|") for sign in ("", "-")]
    return []


def cursor_model(token: str) -> type[models.Model]:
    """The model a real cursor was signed for (cursors are salted with their list's model)."""
    for model in apps.get_models():
        with contextlib.suppress(InvalidCursor):
            read_cursor(token, model=model)
            return model
    raise AssertionError(f"no model signed the cursor {token[:40]}...")
