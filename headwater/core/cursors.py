"""List positions handed to clients (the pages' `?cursor=`, the API's `next`): signed, and read like any input.

A cursor names the row a page continues after: its sort values and id. Those values go into SQL, so an edited
cursor used to reach the database with values no row can have (`Infinity`, `1E+999999`, a date before year 1 in
UTC, a NUL byte, a lone surrogate) and answer 500. Now every cursor is signed with the project's secret
(`django.core.signing`, salted with the model it pages through), so an edited or forged one is refused before it
is read, and the values of a signed one are still checked against their column, as a form checks a field: the
right JSON type, a finite decimal within the column's digits, an aware date-time that converts to UTC, text
without NUL or lone surrogates (PostgreSQL refuses both) within the column's length, one of the column's choices.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hmac
import json
import zlib
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]  # not in the stubs
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import connection, models
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

# Ids are 64-bit in both databases.
_MAX_ID = 2**63 - 1


class InvalidCursor(ValueError):
    """The cursor was edited, forged, made for another list or sort, or holds a value its column cannot have."""


# What `json.dumps(obj, separators=(",", ":"), ensure_ascii=False)` builds on every call: made once.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
# And the C encoder its `encode` makes on every call (with a closure of its own), made once too: the same text
# (`iterencode`'s one-shot arguments), without the circular-reference markers a cursor's flat payload never needs.
_ENCODE_COMPACT = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _COMPACT.default, encode_basestring, None, ":", ",", False, False, True)
)


class _CursorJSON:
    """Compact JSON for signing: UTF-8 rather than `\\u` escapes (a cursor of a 200-character Polish or Chinese
    name stays short); reading refuses JSON's non-standard NaN and Infinity tokens."""

    def dumps(self, obj: Any) -> bytes:
        text = _COMPACT.encode(obj) if _ENCODE_COMPACT is None else "".join(_ENCODE_COMPACT(obj, 0))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate cannot be UTF-8: escape it (only a hostile payload built by a test has one).
            return json.dumps(obj, separators=(",", ":")).encode("ascii")

    def loads(self, data: bytes) -> Any:
        return json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)


def _refuse_constant(name: str) -> Any:
    raise InvalidCursor(f"{name} is not a value")


def _signer(model: type[models.Model]) -> signing.Signer:
    # The Signer Django would make now (it reads both settings when made): kept per model and keys, as every list
    # page signs one or two cursors.
    return _keyed_signer(model._meta.label_lower, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


class _CursorSigner(signing.Signer):
    """Django's Signer, the same signatures, with each key's HMAC set up once: `signing.base64_hmac` derives the
    HMAC's key from the salt and the secret (a SHA-256 of both) and sets up a new HMAC with it on every signature;
    here the keyed HMAC is kept per key and copied (a page signs one or two cursors, and checks one)."""

    def __init__(self, *, key: str, salt: str, fallback_keys: list[bytes | str]) -> None:
        super().__init__(key=key, salt=salt, fallback_keys=fallback_keys)
        self._key_salt = salt + "signer"  # what Signer.signature salts the key with
        self._keyed: dict[Any, hmac.HMAC] = {}

    def signature(self, value: Any, key: Any = None) -> str:
        key = key or self.key
        keyed = self._keyed.get(key)
        if keyed is None:
            keyed = self._keyed[key] = salted_hmac(self._key_salt, b"", key, algorithm=self.algorithm)
        mac = keyed.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


@lru_cache(maxsize=64)
def _keyed_signer(label: str, key: str, fallback_keys: tuple[str, ...]) -> signing.Signer:
    keys: list[bytes | str] = list(fallback_keys)
    return _CursorSigner(key=key, salt=f"headwater.cursor.{label}", fallback_keys=keys)


def sign_cursor(payload: dict[str, Any], *, model: type[models.Model]) -> str:
    """An opaque, URL-safe token for `payload`, valid for lists of `model` only."""
    return _signer(model).sign_object(payload, serializer=_CursorJSON, compress=True)


def read_cursor(token: str, *, model: type[models.Model]) -> dict[str, Any]:
    """The payload of a token `sign_cursor` made for `model`; InvalidCursor for anything else."""
    try:
        payload = _signer(model).unsign_object(token, serializer=_CursorJSON)
    except (signing.BadSignature, ValueError, binascii.Error, zlib.error, RecursionError) as exc:
        raise InvalidCursor("not a cursor of this list") from exc
    if not isinstance(payload, dict):
        raise InvalidCursor("not a cursor of this list")
    return payload


def column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The model's column `name` ("pk" for the primary key) that a sort reads."""
    field = model._meta.pk if name == "pk" else model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise InvalidCursor(f"{name}: not a column")
    return field


def column_value(field: models.Field[Any, Any], raw: Any) -> Any:
    """The value `raw` (as JSON gave it) stands for in `field`'s column, checked like a form field would be.

    Only what the column can hold is checked (type, range, length, choices), not a field's format rules: a row
    saved before a rule existed (an old malformed e-mail) still gives a cursor that works.
    """
    if raw is None:
        # An empty value of a nullable sort column (a deal's close day) is a position too.
        if not field.null:
            raise InvalidCursor(f"{field.name}: empty")
        return None
    value = _typed(field, raw)
    if field.choices and value not in {str(choice) for choice, _label in field.flatchoices}:
        raise InvalidCursor(f"{field.name}: not one of the choices")
    return value


def _typed(field: models.Field[Any, Any], raw: Any) -> Any:
    name = field.name
    if isinstance(field, models.DateTimeField):
        return _moment(name, raw)
    if isinstance(field, models.DateField):
        try:
            return dt.date.fromisoformat(_text(name, raw))
        except ValueError as exc:
            raise InvalidCursor(f"{name}: not a date") from exc
    if isinstance(field, models.DecimalField):
        return _number(field, raw)
    if isinstance(field, models.IntegerField | models.AutoField):
        return _whole(field, raw)
    if isinstance(field, models.CharField | models.TextField):
        text = _text(name, raw)
        if "\x00" in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            raise InvalidCursor(f"{name}: text the database cannot compare")
        if field.max_length is not None and len(text) > field.max_length:
            raise InvalidCursor(f"{name}: longer than the column")
        return text
    raise InvalidCursor(f"{name}: a column cursors do not sort on")


def _number(field: models.DecimalField[Any, Any], raw: Any) -> Decimal:
    try:
        number = Decimal(_text(field.name, raw))
        DecimalValidator(field.max_digits, field.decimal_places)(number)
    except InvalidOperation as exc:
        raise InvalidCursor(f"{field.name}: not a number") from exc
    except ValidationError as exc:  # not finite, or more digits than the column holds
        raise InvalidCursor(f"{field.name}: not a number of this column") from exc
    return number


def _whole(field: models.Field[Any, Any], raw: Any) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool):
        raise InvalidCursor(f"{field.name}: not a whole number")
    low, high = connection.ops.integer_field_range(field.get_internal_type())
    if isinstance(field, models.AutoField):
        low = 1  # database ids start at 1
    if (low is not None and raw < low) or (high is not None and raw > high) or abs(raw) > _MAX_ID:
        raise InvalidCursor(f"{field.name}: out of range")
    return raw


def _text(name: str, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidCursor(f"{name}: not text")
    return raw


def _moment(name: str, raw: Any) -> dt.datetime:
    """An aware date-time that exists in UTC: `0001-01-01T00:00:00+14:00` is a moment of year 0 there."""
    try:
        moment = dt.datetime.fromisoformat(_text(name, raw))
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidCursor(f"{name}: a date-time without its time zone")
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise InvalidCursor(f"{name}: not a date-time") from exc
