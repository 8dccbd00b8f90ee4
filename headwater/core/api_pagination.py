"""Keyset pagination for API lists: `items` plus an opaque `next` cursor, never an OFFSET or an exact COUNT.

The cursor carries the ordering it was made for and the last row's (sort value, id); the next page continues
strictly after that pair, so pages stay fast and stable at a million rows and while rows are added. It is signed,
and its values are checked against their columns when read (core/cursors.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from headwater.core.cursors import InvalidCursor, column, column_value, read_cursor, sign_cursor
from headwater.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Signed cursors of the longest sort values (a 200-character name in a three-byte script) stay well below this.
MAX_CURSOR = 2000

_M = TypeVar("_M", bound=Model)
_T = TypeVar("_T")

Kind = Literal["str", "datetime", "date", "decimal", "int"]


@dataclass(frozen=True)
class SortKey:
    field: str
    kind: Kind


ID_KEY = SortKey("id", "int")
CREATED_KEY = SortKey("created_at", "datetime")


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Page size, at most {MAX_LIMIT}.")
    cursor: str | None = Field(None, max_length=MAX_CURSOR, description="The `next` value of the previous page.")


@dataclass
class Page(Generic[_T]):
    items: list[_T]
    next: str | None


def ordering_pattern(allowed: dict[str, SortKey]) -> str:
    names = sorted(allowed)
    return "^-?(" + "|".join(names) + ")$"


def _encode_value(value: Any, kind: Kind) -> Any:
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    return value


def _encode_cursor(model: type[Model], ordering: str, value: Any, pk: int) -> str:
    return sign_cursor({"o": ordering, "v": value, "i": pk}, model=model)


def _decode_cursor(model: type[Model], cursor: str, ordering: str, key: SortKey) -> tuple[Any, int]:
    """(sort value, id) of a cursor this list signed for this ordering, each checked against its column."""
    try:
        data = read_cursor(cursor, model=model)
        if data.get("o") != ordering:
            raise InvalidCursor("made for another ordering")
        pk = column_value(column(model, "pk"), data.get("i"))
        value = pk if key.field == "id" else column_value(column(model, key.field), data.get("v"))
    except InvalidCursor as exc:
        raise ValidationFailed.on(
            "cursor", _("This cursor is not valid for this list and ordering; start again.")
        ) from exc
    return value, int(pk)


def keyset_page(
    qs: QuerySet[_M], *, ordering: str, allowed: dict[str, SortKey], cursor: str | None, limit: int
) -> Page[_M]:
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    key = allowed.get(name)
    if key is None:
        raise ValidationFailed.on("ordering", _("Unknown ordering “%(name)s”.") % {"name": ordering})
    limit = max(1, min(limit, MAX_LIMIT))
    field = key.field
    sign = "-" if descending else ""
    op = "lt" if descending else "gt"
    order = [f"{sign}{field}"] if field == "id" else [f"{sign}{field}", f"{sign}id"]
    qs = qs.order_by(*order)
    if cursor:
        value, pk = _decode_cursor(qs.model, cursor, ordering, key)
        if field == "id":
            qs = qs.filter(**{f"id__{op}": pk})
        else:
            qs = qs.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk}))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(qs.model, ordering, _encode_value(getattr(last, field), key.kind), last.pk)
    return Page(items=rows, next=next_cursor)
