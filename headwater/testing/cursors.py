"""Well-formed cursors with hostile values, for tests: what an attacker who edits (or could sign) a cursor sends.

`page_cursor` builds the payload every list reads, its page's and its API's alike (core/pagination.py), signed
with the project's key like real ones, or unsigned as the cursors before signing were (what anyone could forge).
`old_api_cursor` is the API's own cursor before the lists shared one: it is refused now.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.db import models

from headwater.core.cursors import sign_cursor

NAN = float("nan")
INFINITY = float("inf")

# Values no column can take: wrong JSON types, numbers beyond any column, moments outside UTC's years, text that
# PostgreSQL refuses (NUL, lone surrogates), JSON's non-standard NaN/Infinity tokens (the floats).
REFUSED_EVERYWHERE: list[Any] = [None, True, [], {}, NAN, INFINITY, -INFINITY, {"$gt": ""}]
REFUSED_BY_KIND: dict[str, list[Any]] = {
    "text": ["a\x00b", "\x00", "\ud800", "x\udfffy", 12, 1.5],
    "datetime": [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "2026-01-01T00:00:00",  # no time zone
        "0001-01-01",
        "2026-02-30T00:00:00+00:00",
        "Infinity",
        "",
        1767225600,
    ],
    "date": ["2026-02-30", "10000-01-01", "0000-01-01", "Infinity", "", 20260101],
    "decimal": [
        "Infinity",
        "-Infinity",
        "NaN",
        "sNaN",
        "1E+999999",
        "-1E+999999",
        "1e-999999",
        "1" * 20,
        "",
        "1,5",
        1.5,
        7,
    ],
    "int": [0, -1, 2**63, -(2**63) - 1, 2**70, "1", 1.0, -(2**70)],
}
# Edge values a column can hold: a page after them is read normally (empty or not), never refused.
ACCEPTED_BY_KIND: dict[str, list[Any]] = {
    "text": ["", "x" * 100, "zażółć", "'; DROP TABLE x; --"],
    "datetime": ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", "2026-06-01T12:00:00+02:00"],
    "date": ["0001-01-01", "9999-12-31"],
    "decimal": ["0", "-0.00", "999999999999.99", "-999999999999.99"],
    "int": [1, 2**63 - 1],
}


def column_kind(field: models.Field[Any, Any]) -> str:
    if isinstance(field, models.DateTimeField):
        return "datetime"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.DecimalField):
        return "decimal"
    if isinstance(field, models.IntegerField | models.AutoField):
        return "int"
    return "text"


def _unsigned(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def page_cursor(
    model: type[models.Model],
    signature: str,
    key: list[Any],
    *,
    signed: bool = True,
    start: Any = 26,
    backward: Any = False,
) -> str:
    """A list's cursor, its page's or its API's.

    It carries the sort's signature ("name", "-created_at", "status,created_at"), the key values (the sort's
    columns, then the id), the first row's number and the direction."""
    payload = {"s": signature, "k": key, "b": backward, "o": start}
    return sign_cursor(payload, model=model) if signed else _unsigned(payload)


def old_api_cursor(model: type[models.Model], ordering: str, value: Any, pk: Any) -> str:
    """A cursor as the API signed it before its lists read the pages' paginator: ordering, sort value, id."""
    return sign_cursor({"o": ordering, "v": value, "i": pk}, model=model)
