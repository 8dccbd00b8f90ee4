"""Parsing one cell of an imported file into the value a record field holds.

Each parser takes what the reader gives (text from a CSV, text, a number or a date from a workbook) and returns the
clean value, or raises `ValueProblem` with a translated message saying what is wrong with it. Dates are decided per
column (`parse_date_column`): "03/01/2026" is the 3rd of January or the 1st of March depending on the other rows.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

import phonenumbers
from django.core.validators import EmailValidator, validate_email
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip, regon

from headwater.core.currencies import is_currency

DEFAULT_REGION = "PL"

Raw = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None


class ValueProblem(ValueError):
    """A cell that cannot become its field's value; the message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text(value: Raw) -> str:
    if type(value) is str:  # a CSV's every cell: str() of it is itself
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- money -------------------------------------------------------------------------------------------------------

# Symbols and the words people write after amounts; a three-letter ISO code is recognised by itself.
_CURRENCY_SIGNS = {"zł": "PLN", "zl": "PLN", "€": "EUR", "$": "USD", "£": "GBP", "kč": "CZK", "fr.": "CHF", "₴": "UAH"}
# Spaces that group thousands: the ordinary one, the no-break space Excel writes in Polish, the narrow no-break
# space (U+202F, what newer locales write), the thin space, and the apostrophe of Swiss amounts.
_GROUP_SPACES = re.compile(r"[ \u00a0\u202f\u2009\u2007']")
_CODE = re.compile(r"\b([A-Za-z]{3})\b")
_NUMBER = re.compile(r"^[+-]?\d[\d.,]*$")


class Money(NamedTuple):
    """An amount and its currency. A named tuple rather than a frozen dataclass: made for every amount of a file, and
    a frozen dataclass's __init__ sets each field through object.__setattr__."""

    amount: Decimal
    currency: str | None  # what the cell said, None when it named none


# The longest mark first: "fr." before a shorter mark it may hold.
_SIGNS_LONGEST_FIRST = sorted(_CURRENCY_SIGNS.items(), key=lambda item: -len(item[0]))


def _currency_of(text: str) -> tuple[str, str | None]:
    """The text without its currency mark, and the currency it named."""
    lowered = text.lower()
    for sign, code in _SIGNS_LONGEST_FIRST:
        if sign in lowered:
            start = lowered.index(sign)
            before, after = text[:start], text[start + len(sign) :]
            if before.strip() and after.strip():  # "12 zł 50": a mark between two numbers is no currency of them
                raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": text})
            return before + after, code
    match = _CODE.search(text)
    if match and is_currency(match.group(1).upper()):
        if text[: match.start()].strip() and text[match.end() :].strip():
            raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": text})
        return text[: match.start()] + text[match.end() :], match.group(1).upper()
    return text, None


def _decimal_text(number: str) -> str:
    """ "1.234,50" / "1,234.50" / "1234,5" / "1.234" as "1234.50", "1234.50", "1234.5", "1234".

    The last of two different marks is the decimal one. One kind of mark: twice or more, it groups thousands; once,
    followed by exactly three digits, it groups thousands too (amounts carry two decimals, never three), otherwise
    it is the decimal mark.
    """
    commas, dots = number.count(","), number.count(".")
    if commas and dots:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
        if number.count(decimal_mark) > 1:
            raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": number})
        return number.replace(group_mark, "").replace(decimal_mark, ".")
    mark = "," if commas else "." if dots else ""
    if not mark:
        return number
    if number.count(mark) > 1:
        groups = number.lstrip("+-").split(mark)
        if any(len(group) != 3 for group in groups[1:]) or not 1 <= len(groups[0]) <= 3:
            raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": number})
        return number.replace(mark, "")
    whole, fraction = number.split(mark)
    if len(fraction) == 3 and 1 <= len(whole.lstrip("+-")) <= 3 and whole.lstrip("+-") != "0":
        return whole + fraction
    return f"{whole}.{fraction}"


# The shape of most amounts in a file: ASCII digits, maybe a comma or dot and one or two decimals, maybe "zł" after
# (with or without a space). `_money_of_text` reads each of them as these digits with a decimal point, and the
# currency PLN when "zł" is there: taken straight from the match. tests/test_values.py checks both agree.
_PLAIN_AMOUNT = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?( ?zł)?")


def parse_money(value: Raw) -> Money:
    """ "1 234,50 zł", "1,234.50 PLN", "1234.5", "€ 99", "12 000": the amount, and the currency when one is named."""
    if type(value) is str:
        plain = _PLAIN_AMOUNT.fullmatch(value.strip())
        if plain is not None:
            whole, fraction, sign = plain.groups()
            return Money(Decimal(f"{whole}.{fraction}" if fraction else whole), "PLN" if sign else None)
    return _money_of_text(value)


def _money_of_text(value: Raw) -> Money:
    """`parse_money` without its shortcut: the reference the shortcut is tested against."""
    if isinstance(value, bool | dt.date | dt.time | dt.timedelta):
        raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": value})
    if isinstance(value, int):
        return Money(Decimal(value), None)
    if isinstance(value, float):
        return Money(Decimal(repr(value)), None)
    text = _text(value)
    if not text:
        raise ValueProblem(_("The amount is empty."))
    rest, currency = _currency_of(text)
    number = _GROUP_SPACES.sub("", rest).strip()
    if not _NUMBER.match(number):
        raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": text})
    try:
        amount = Decimal(_decimal_text(number))
    except InvalidOperation:
        raise ValueProblem(_("“%(value)s” is not an amount.") % {"value": text}) from None
    return Money(amount, currency)


# --- dates -------------------------------------------------------------------------------------------------------

# The formats a column may be written in, by the name the user sees when asked to choose.
DATE_FORMATS: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD.MM.YYYY": "%d.%m.%Y",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD-MM-YYYY": "%d-%m-%Y",
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYY.MM.DD": "%Y.%m.%d",
}
# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); these serials are 1900-01-01..2999-12-31.
EXCEL_EPOCH = dt.date(1899, 12, 30)
_FIRST_SERIAL, _LAST_SERIAL = 2, 401_768


class AmbiguousDates(ValueProblem):
    """More than one format reads every date of the column: the user chooses."""

    def __init__(self, message: str, formats: list[str]) -> None:
        super().__init__(message)
        self.formats = formats


def excel_serial_date(serial: float) -> dt.date:
    if not _FIRST_SERIAL <= serial <= _LAST_SERIAL:
        raise ValueProblem(_("%(value)s is not a date.") % {"value": serial})
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def _strip_time(text: str) -> str:
    """ "2026-03-01 00:00:00" and "01.03.2026 14:30" as their day."""
    if re.search(r"\d[ T]\d{1,2}:\d{2}", text):
        return re.split(r"[ T]", text, maxsplit=1)[0]
    return text


def date_formats_reading(text: str) -> set[str]:
    """The names of the formats (DATE_FORMATS) that read `text` as a day: "03/04/2025" two, "13/04/2025" one."""
    return {name for name, pattern in DATE_FORMATS.items() if _parse_with(text, pattern) is not None}


def parse_date_as(text: str, name: str) -> dt.date | None:
    """`text` read with the format named `name`; None when it does not read it."""
    pattern = DATE_FORMATS.get(name)
    return _parse_with(text, pattern) if pattern else None


def _parse_with(text: str, pattern: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(_strip_time(text), pattern).date()  # noqa: DTZ007  # a calendar day, no instant
    except ValueError:
        return None


def _typed_date(value: Raw) -> dt.date | None:
    """A date the workbook already gave as a date (or as Excel's serial number), None for text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return excel_serial_date(value)
    return None


def parse_date_column(
    values: Sequence[Raw], *, date_format: str | None = None
) -> tuple[str | None, list[dt.date | None]]:
    """Every value of a date column read with the one format that reads them all: (that format's name, the dates;
    None for an empty cell). Dates the workbook gave typed pass as they are.

    No format reads them all: ValueProblem naming the first value none reads. Several read them all (every day
    12 or less: 01/03/2026 and 03/01/2026): AmbiguousDates with the candidates, unless `date_format` chooses.
    """
    texts = [(index, _text(value)) for index, value in enumerate(values) if _typed_date(value) is None]
    texts = [(index, text) for index, text in texts if text]
    candidates = [date_format] if date_format else list(DATE_FORMATS)
    if date_format and date_format not in DATE_FORMATS:
        raise ValueProblem(_("Unknown date format “%(format)s”.") % {"format": date_format})
    readable = [name for name in candidates if all(_parse_with(text, DATE_FORMATS[name]) for _i, text in texts)]
    if texts and not readable:
        # The first value that no candidate reads, or (several formats each reading part) the first one the best
        # candidate misses.
        best = max(candidates, key=lambda name: sum(bool(_parse_with(t, DATE_FORMATS[name])) for _i, t in texts))
        index, text = next((i, t) for i, t in texts if _parse_with(t, DATE_FORMATS[best]) is None)
        raise ValueProblem(
            _("“%(value)s” (row %(row)s of the column) is not a date in the format %(format)s.")
            % {"value": text, "row": index + 1, "format": best}
        )
    if len(readable) > 1 and texts:
        raise AmbiguousDates(
            _("The dates can be read as %(formats)s: choose the column's format.") % {"formats": " / ".join(readable)},
            readable,
        )
    chosen = readable[0] if readable and texts else None
    dates: list[dt.date | None] = []
    for value in values:
        typed = _typed_date(value)
        if typed is not None:
            dates.append(typed)
            continue
        text = _text(value)
        dates.append(_parse_with(text, DATE_FORMATS[chosen]) if text and chosen else None)
    return chosen, dates


# --- contacts and identifiers ------------------------------------------------------------------------------------


# Django's validate_email with its user part's pattern compiled here: the validator's patterns are lazy objects,
# and reaching through one costs more than the match itself (an import checks every address of the file). The
# domain part's answer (Django's own test) is kept by the domain: a file's addresses share a few domains.
_EMAIL_USER = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)


@lru_cache(maxsize=4096)
def _email_domain_valid(domain: str) -> bool:
    return domain in validate_email.domain_allowlist or bool(validate_email.validate_domain_part(domain))


def email_valid(text: str) -> bool:
    """What `validate_email(text)` answers (True where it raises nothing); tests/test_values.py compares them."""
    if not text or "@" not in text or len(text) > 320:  # Django's own bound (RFC 3696)
        return False
    user, domain = text.rsplit("@", 1)
    return bool(_EMAIL_USER.match(user)) and _email_domain_valid(domain)


def parse_email(value: Raw) -> str:
    text = _text(value)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if not email_valid(text):
        raise ValueProblem(_("“%(value)s” is not an e-mail address.") % {"value": text})
    local, _at, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


_PHONES: dict[tuple[str, str], str | None] = {}
_PHONES_KEPT = 16_384


def _parsed_e164(text: str, region: str) -> str | None:
    """`_e164` by phonenumbers itself: the reference the shortcut below is tested against."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The shape of nearly every Polish number in a file: nine digits (the first not 0), grouped by single spaces or
# hyphens, optionally after +48. phonenumbers reads each of them as +48 and those nine digits (PL has no national
# prefix to strip); only whether the number is valid remains, and that is the region's metadata's patterns.
_PL_SHAPE = re.compile(r"(?:\+48[ -]?)?([1-9](?:[ -]?[0-9]){8})")
_PL_SEPARATORS = str.maketrans("", "", " -")


def _national_patterns(region: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """phonenumbers' validity test of a national number of `region` as two patterns: the general description,
    and every number type's (premium, toll-free, ..., fixed line, mobile) joined: a number is valid when it matches
    the first and one of the others (`phonenumbers.number_type` is not UNKNOWN), each within its possible lengths.
    Built from the library's own metadata, so an update of phonenumbers updates it."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        raise LookupError(region)

    def pattern(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
        if desc is None or not desc.national_number_pattern:
            return None
        body = f"(?:{desc.national_number_pattern})"
        if not desc.possible_length:  # no lengths of its own: the general description's (checked first)
            return body
        lengths = "|".join(rf"[0-9]{{{length}}}" for length in desc.possible_length if length > 0)
        return f"(?=(?:{lengths})\\Z){body}" if lengths else None  # (-1,): no number of this type

    types = (
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
        metadata.fixed_line,
        metadata.mobile,
    )
    general = pattern(metadata.general_desc) or "(?!)"
    any_type = "|".join(found for found in map(pattern, types) if found) or "(?!)"
    return re.compile(general), re.compile(any_type)


_PL_GENERAL, _PL_ANY_TYPE = _national_patterns("PL")


def _shortcut_e164(text: str, region: str) -> tuple[bool, str | None]:
    """(True, `_parsed_e164`) for the common shape (`_PL_SHAPE`, read in PL), without parsing; (False, None) for
    any other text. tests/test_values.py proves it gives phonenumbers' answer for every text of that shape."""
    shape = _PL_SHAPE.fullmatch(text) if region == "PL" else None
    if shape is None:
        return False, None
    national = shape.group(1).translate(_PL_SEPARATORS)
    if _PL_GENERAL.fullmatch(national) and _PL_ANY_TYPE.fullmatch(national):
        return True, "+48" + national
    return True, None


def _e164(text: str, region: str) -> str | None:
    """The number in E.164 form, "" when it cannot be parsed, None when it is no valid number. Kept by the text,
    and the E.164 form by itself too: parsing is the dearest step of a row, and the run compares the parsed number
    again (duplicates, changes)."""
    key = (text, region)
    if key in _PHONES:
        return _PHONES[key]
    shaped, found = _shortcut_e164(text, region)
    if not shaped:
        found = _parsed_e164(text, region)
    if len(_PHONES) >= _PHONES_KEPT:
        _PHONES.clear()
    _PHONES[key] = found
    if found:
        _PHONES[(found, region)] = found
    return found


def parse_phone(value: Raw, *, region: str = DEFAULT_REGION) -> str:
    """The number in E.164 form (+48600100200); a number without a country code is read in `region`."""
    text = _text(value)
    found = _e164(text, region)
    if found == "":
        raise ValueProblem(_("“%(value)s” is not a phone number.") % {"value": text})
    if found is None:
        raise ValueProblem(_("“%(value)s” is not a valid phone number.") % {"value": text})
    return found


_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7, -1)
_NIP_CODE_EXCESS = 48 * sum(_NIP_WEIGHTS)  # ord("0") times the weights: see parse_nip


def parse_nip(value: Raw) -> str:
    """A Polish tax id (NIP) as its ten digits; "PL 123-456-32-18" and "123 456 32 18" too."""
    text = _text(value)
    if len(text) == 10 and text.isascii() and text.isdigit():  # the common shape: only the check digit to check
        # stdnum's nip.checksum without a loop: the digits' weighted sum from their ASCII codes (each code is the
        # digit + 48, so the sum is 48 times the weights' sum too many), no int() per digit.
        if (sum(map(operator.mul, _NIP_WEIGHTS, text.encode())) - _NIP_CODE_EXCESS) % 11 == 0:
            return text
        raise ValueProblem(_("“%(value)s” is not a valid NIP (tax ID).") % {"value": text})
    compact = re.sub(r"^PL", "", nip.compact(text).upper())
    try:
        return str(nip.validate(compact))
    except StdnumError:
        raise ValueProblem(_("“%(value)s” is not a valid NIP (tax ID).") % {"value": text}) from None


def parse_regon(value: Raw) -> str:
    text = _text(value)
    try:
        return str(regon.validate(text))
    except StdnumError:
        raise ValueProblem(_("“%(value)s” is not a valid REGON.") % {"value": text}) from None


def website_domain(value: Raw) -> str:
    """ "https://www.Acme.pl/kontakt" -> "acme.pl"."""
    text = _text(value)
    if not text:
        raise ValueProblem(_("The website is empty."))
    parts = urlsplit(text if "://" in text else f"//{text}")
    host = (parts.hostname or "").rstrip(".")
    host = host.removeprefix("www.")
    if "." not in host or not re.fullmatch(r"[a-z0-9.-]+", host.encode("idna").decode("ascii") if host else ""):
        raise ValueProblem(_("“%(value)s” is not a website address.") % {"value": text})
    return host
