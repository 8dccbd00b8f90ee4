"""The record kinds, each declared once: its model, what its search key is built from, what it shows in pickers and
in the keys of the records linking to it, its pages and its API endpoints.

Each record app registers its kind when Django starts it (its AppConfig.ready); the shared record code (search keys,
linked names, the pages' URLs) finds the kinds here, and the layers below the records (members' removal, the
sources' usage, merge and delete) find the models through Django's metadata (`core.models.models_pointing_at`).
Kinds are keyed by their model's name ("company"), so the data migrations, which hold historical models, find theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

if TYPE_CHECKING:
    from headwater.records.api import RecordEndpoints
    from headwater.records.views import RecordPages


@dataclass(frozen=True)
class RecordKind:
    model: type[models.Model]
    # The fields its search key is built from; a link to another kind ("company_id") stands for that record's name.
    search_fields: tuple[str, ...]
    # The key from those fields, by keyword; a link "company_id" arrives as "company_name" (records/search.py).
    search_key: Callable[..., str]
    # Its name, from these fields joined by a space: what pickers and the keys of the records linking to it show.
    name_fields: tuple[str, ...]
    pages: RecordPages[Any] | None = None  # its list, detail, form and delete pages (records/views.py, records/urls.py)
    endpoints: RecordEndpoints[Any] | None = None  # its API operations (records/api.py)
    # Its list's name order, when a table of its word starts answers a two-character search in it (PostgreSQL:
    # records/word_starts.py; the table is made by a migration with these columns).
    word_start_columns: tuple[str, ...] = ()

    @property
    def noun(self) -> str:
        """ "company": the kind's key here and its type in the sources' history."""
        return str(self.model._meta.model_name)

    @property
    def app(self) -> str:
        """ "companies": its app's label, its URL namespace and its key in counts by kind."""
        return self.model._meta.app_label

    def name_from(self, values: Sequence[str | None]) -> str:
        """The record's name from its `name_fields` values: "Acme"; "Anna Nowak" (either part may be empty)."""
        if len(values) == 1:
            return values[0] or ""
        return " ".join(value or "" for value in values).strip()

    def link_of(self, field: str) -> RecordKind | None:
        """The kind a search field links to ("company_id" on a person: the company kind), None for its own fields."""
        return linked_kind(self.model, field)


_KINDS: dict[str, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    if kind.noun in _KINDS and _KINDS[kind.noun] != kind:
        raise ValueError(f"record kind {kind.noun!r} is registered twice")
    _KINDS[kind.noun] = kind
    return kind


def unregister(noun: str) -> None:
    """For tests that register a kind of their own for a while."""
    _KINDS.pop(noun, None)


def record_kinds() -> list[RecordKind]:
    """Every registered kind, in the order the apps are installed (the order Django starts them)."""
    return list(_KINDS.values())


def kind_of(model: type[models.Model] | str) -> RecordKind:
    """The kind of a model (current or historical) or of a model name; LookupError for one never registered."""
    noun = model if isinstance(model, str) else str(model._meta.model_name)
    try:
        return _KINDS[noun]
    except KeyError:
        raise LookupError(f"no record kind {noun!r}") from None


def linked_kind(model: type[models.Model], field: str) -> RecordKind | None:
    """The kind `model`'s field `<link>_id` points at, None when the field is not a link to a record kind."""
    if not field.endswith("_id"):
        return None
    try:
        relation = model._meta.get_field(field.removesuffix("_id"))
    except FieldDoesNotExist:
        return None
    target: Any = relation.related_model
    if not isinstance(relation, models.ForeignKey) or isinstance(target, str):
        return None
    return _KINDS.get(str(target._meta.model_name))
