"""Rules for user-entered text, shared by forms, schemas and services."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from headwater.core.confusables import is_default_ignorable, skeleton
from headwater.core.errors import ValidationFailed

# Letters that are not a base letter plus a combining mark, so removing marks leaves them: folded by hand.
# Typographic dashes and quotes (what a word processor makes of - ' ") become the keyboard's: "nowak-kowalska"
# finds the name written with an en dash, and they separate words like their ASCII forms (see
# records.search.WORD_SEPARATORS).
_BARE_LETTERS = str.maketrans(
    {
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "ħ": "h",
        "ŀ": "l",
        "\u0131": "i",
        "ŧ": "t",
        **dict.fromkeys("\u2010\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
    }
)


# Characters folded one by one: ASCII, and the Latin letters, signs and spaces of U+0080..U+024F and the
# typographic dashes and quotes whose fold is ASCII. A text of these alone folds character by character (no two
# of them compose or reorder under NFKC/NFD: each folds to ASCII whatever stands beside it), so its fold is one
# `str.translate`; core/tests/test_text.py checks every pair of them, and texts of them, against the full fold.
_BY_CHARACTER_RANGES = ((0x80, 0x250), (0x2010, 0x2036))


@lru_cache(maxsize=1)
def _fold_by_character() -> tuple[re.Pattern[str], dict[int, str]]:
    """(the pattern of a text made of those characters only, each character's fold); built on first use."""
    table = {code: chr(code).lower() for code in range(0x80)}
    for first, last in _BY_CHARACTER_RANGES:
        for code in range(first, last):
            folded = _full_fold(chr(code))
            if not unicodedata.combining(chr(code)) and folded.isascii():
                table[code] = folded
    pattern = re.compile("[" + "".join(re.escape(chr(code)) for code in table) + "]*")
    return pattern, table


def _full_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    bare = "".join(ch for ch in unicodedata.normalize("NFD", folded) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", bare.translate(_BARE_LETTERS))


@lru_cache(maxsize=16_384)
def fold(text: str) -> str:
    """The form both the key and the searched words are compared in: NFKC, case folded, without accents.

    People type "wisniewska" for "Wiśniewska" and "lodz" for "Łódź" (a phone keyboard, a hurried search), so the
    marks go: the canonical decomposition drops every combining mark, and letters with a stroke, which do not
    decompose, are mapped by hand, like typographic dashes and quotes (to - ' "). NFKC again at the end
    recomposes what stays (Hangul), so folding is idempotent.
    """
    if text.isascii():  # no mark to drop, nothing to normalise: the same result, without three passes
        return text.lower()
    simple, by_character = _fold_by_character()
    if simple.fullmatch(text):  # Polish (and most Latin) text: each character's fold, in one call
        return text.translate(by_character)
    return _full_fold(text)


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


# --- Names ----------------------------------------------------------------------------------------------
#
# Every name a person types (sources, companies, persons, deals, accounts, users, API tokens) goes through
# `clean_name`: one line of visible text. Tabs, line breaks and the other spaces (no-break, ideographic, thin...)
# are whitespace: each run becomes one ordinary space and the ends are trimmed, so "Strona  WWW" is stored as
# "Strona WWW". Control characters and format characters (general category Cc and Cf: zero-width space and
# joiners, the bidirectional marks, embeddings, overrides and isolates, soft hyphen, BOM...) are refused: they
# are invisible, so two names that look the same would differ, and a right-to-left override turns
# "Facebook Ads" into "sdA koobecaF" and reverses whatever text follows it on the page.

_LINE_BREAKS = {"\t", "\n", "\r"}


def _is_name_space(ch: str) -> bool:
    return ch in _LINE_BREAKS or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _character(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip()


def name_problem(value: str) -> str | None:
    """Why `value` cannot be a name (the first offending character, by code and Unicode name), or None."""
    for ch in value:
        if _is_name_space(ch):
            continue
        category = unicodedata.category(ch)
        if ch == "\x00":
            return _("The name contains a NUL character, which cannot be stored.")
        if category == "Cs":
            return _("The name contains an invalid character (a lone surrogate).")
        if category == "Cc":
            return _("The name contains a control character (%(character)s); remove it.") % {
                "character": _character(ch)
            }
        if category == "Cf":
            return _(
                "The name contains an invisible formatting character (%(character)s); remove it. Names cannot "
                "contain zero-width, text-direction or other invisible characters."
            ) % {"character": _character(ch)}
    return None


# Every character `_is_name_space` accepts (all of them are in the first plane), as one pattern: a bulk import
# normalises every cell.
_NAME_SPACES = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in range(0x10000) if _is_name_space(chr(code))) + "]+"
)


def normalise_spaces(value: str) -> str:
    """Every run of whitespace (tabs, line breaks, no-break and other spaces) as one space; the ends trimmed."""
    return _NAME_SPACES.sub(" ", value).strip(" ")


def is_blank(value: str) -> bool:
    """Nothing visible: only spaces and default-ignorable characters (Hangul fillers, variation selectors...)."""
    return all(_is_name_space(ch) or is_default_ignorable(ch) for ch in value)


def clean_name(value: object, *, field: str, required: str | Promise | None = None) -> str:
    """A name as it is stored: whitespace normalised, no control or invisible formatting character.

    `required`: the message for an empty (or invisible) name; None when the name may be empty. Raises
    ValidationFailed on `field`. Lengths stay with the callers (each column has its own).
    """
    if value is None and required is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.on(field, required or _("Enter text."))
    problem = name_problem(value)
    if problem:
        raise ValidationFailed.on(field, problem)
    name = normalise_spaces(value)
    if required is not None and is_blank(name):
        raise ValidationFailed.on(field, required)
    return name


def clean_name_field(value: str, *, required: str | Promise | None = None) -> str:
    """`clean_name` for a Django form's `clean_<field>`: the same rule, raised as the form's ValidationError."""
    try:
        return clean_name(value, field="name", required=required)
    except ValidationFailed as exc:
        raise DjangoValidationError(exc.fields["name"]) from exc


def name_key(value: str) -> str:
    """The case-insensitive comparison key of names that must be unique (equal keys: the names count as the same).

    The search folding first (`fold` above: NFKC, case folded, accents removed, so "POLECENIE" and
    "Polecénie" meet as a search would), then the Unicode confusable skeleton (`core.confusables.skeleton`, so
    "Partner" spelt with a Cyrillic small er and a meets the Latin one, "Goog1e" meets "google"), folded again
    (the skeleton maps some characters to capitals: "0" to "O"). Whitespace as in a stored name. Not for display.
    """
    return normalise_spaces(fold(skeleton(fold(normalise_spaces(value)))))


def name_look_key(value: str) -> str:
    """The second key: the skeleton of the name as written, then folded.

    Some look-alikes exist in one case only, so folding first loses them: a capital I looks like a small L
    ("GoogIe"), a Cyrillic capital VE or EM like a Latin B or M ("BMW" in Cyrillic capitals), but their small
    letters do not. A name is refused when either key matches another name's same key.
    """
    return normalise_spaces(fold(skeleton(normalise_spaces(value))))
