"""Keyset pagination for API lists: `items` plus an opaque `next` cursor, never an OFFSET or an exact COUNT.

The cursor carries the ordering it was made for and the last row's (sort value, id); the next page continues
strictly after that pair, so pages stay fast and stable at a million rows and while rows are added.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, Literal, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

from headwater.core.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

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
    cursor: str | None = Field(None, max_length=500, description="The `next` value of the previous page.")


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


def _decode_value(raw: Any, kind: Kind) -> Any:
    if kind == "datetime":
        parsed = datetime.fromisoformat(str(raw))
        if parsed.tzinfo is None:
            raise ValueError("naive datetime in cursor")
        return parsed
    if kind == "date":
        return date.fromisoformat(str(raw))
    if kind == "decimal":
        return Decimal(str(raw))
    if kind == "int":
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise ValueError("not an integer")
        return raw
    if not isinstance(raw, str):
        raise ValueError("not a string")
    return raw


def _encode_cursor(ordering: str, value: Any, pk: int) -> str:
    raw = json.dumps({"o": ordering, "v": value, "i": pk}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, ordering: str, key: SortKey) -> tuple[Any, int]:
    invalid = ValidationFailed.on("cursor", _("This cursor is not valid for this list and ordering; start again."))
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, dict) or data.get("o") != ordering:
            raise invalid
        pk = data["i"]
        if not isinstance(pk, int) or isinstance(pk, bool):
            raise invalid
        return _decode_value(data["v"], key.kind), pk
    except (ValueError, KeyError, TypeError, InvalidOperation, binascii.Error, UnicodeDecodeError) as exc:
        raise invalid from exc


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
        value, pk = _decode_cursor(cursor, ordering, key)
        if field == "id":
            qs = qs.filter(**{f"id__{op}": pk})
        else:
            qs = qs.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"id__{op}": pk}))
    rows = list(qs[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = _encode_cursor(ordering, _encode_value(getattr(last, field), key.kind), last.pk)
    return Page(items=rows, next=next_cursor)
