"""Rules for user-entered text, shared by forms, schemas and services."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _

from headwater.core.errors import ValidationFailed

# Characters PostgreSQL cannot store or that only break later (NUL, lone surrogates); other
# control characters except tab and newlines are refused too, as nobody types them on purpose.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def text_problem(value: str) -> str | None:
    """Return why `value` cannot be stored, or None when it can."""
    for ch in value:
        code = ord(ch)
        if ch == "\x00":
            return _("The text contains a NUL character, which cannot be stored.")
        if 0xD800 <= code <= 0xDFFF:
            return _("The text contains an invalid character (a lone surrogate).")
        if unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS:
            return _("The text contains a control character (code %(code)d), which cannot be stored.") % {"code": code}
    return None


def check_text(field: str, value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ValidationFailed.on(field, problem)


def name_key(value: str) -> str:
    """The comparison key for names that must be unique ignoring case, width and surrounding spaces."""
    return unicodedata.normalize("NFKC", value).strip().casefold()
