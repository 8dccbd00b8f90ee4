"""A record list's table rows as HTML, built in Python.

A list page shows 25 rows of six to nine cells, each with links, names isolated in `<bdi>`, dates and numbers in the
language's formats. Through the template engine (three `{% url %}`, two `{% include %}`s and six filters a row)
the rows took 7.6 ms of a deal page's ~30 ms of CPU at a million deals; here a row is a few f-strings, every
inserted text escaped as the template escapes it (`django.utils.html.escape`), the detail links built from one
`reverse()` per kind, the date formats and translations looked up once per request. See docs/performance.md.

Each kind's list columns (`Column.cell`, declared in the kind's views beside the column's header) say what a cell
shows, with the helpers below; `table_rows` writes the rows of any kind, the bulk selection's checkbox first.
`records/tests/test_rows.py` compares the rows with the templates they replace, for hostile text in both languages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING, Any

from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import dateformat, numberformat, timezone
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from headwater.core.bidi import isolate

if TYPE_CHECKING:
    from django.http import QueryDict

    from headwater.records.listing import Column, Header

_MARKER = 987654321  # a record id no test or account reaches, replaced by the real one in a detail link


class Cells:
    """What the cells of one request's table look up once: the detail links' prefixes, the date format, the
    translated words. The language and time zone are the request's (active when the view renders)."""

    def __init__(self, account_slug: str) -> None:
        self.account_slug = account_slug
        self._links: dict[str, tuple[str, str]] = {}
        self.short_date = str(get_format("SHORT_DATE_FORMAT"))
        self._words: dict[str, str] = {}
        self._choices: dict[tuple[type, str, Any], str] = {}
        # A format of the day alone writes a day the same for every moment of it: once per day and request, and
        # where it is numbers and month names, without Django's formatter (`day_writer`).
        self._days: dict[dt.date, str] | None = {} if day_only_format(self.short_date) else None
        self._write_day = day_writer(self.short_date) if self._days is not None else None
        self._zone = timezone.get_current_timezone()
        # What `floatformat` looks up for each number (`money`): the language's separators and grouping.
        self._separators = (
            get_format("DECIMAL_SEPARATOR"),
            get_format("NUMBER_GROUPING"),
            get_format("THOUSAND_SEPARATOR"),
        )

    def url(self, app: str, pk: int | None) -> str:
        """`{% url '<app>:detail' account_slug=... pk=pk %}`, escaped for an attribute."""
        parts = self._links.get(app)
        if parts is None:
            link = escape(reverse(f"{app}:detail", kwargs={"account_slug": self.account_slug, "pk": _MARKER}))
            head, _sep, tail = link.partition(str(_MARKER))
            parts = self._links[app] = (head, tail)
        return f"{parts[0]}{int(pk or 0)}{parts[1]}"

    def word(self, text: str) -> str:
        """A translated word (`gettext`), escaped, once per request."""
        found = self._words.get(text)
        if found is None:
            found = self._words[text] = escape(_(text))
        return found

    def choice(self, record: Any, name: str) -> str:
        """`{{ record.get_<name>_display }}`, escaped, once per value and request (Django's lookup rebuilds the
        field's choices as a dict, lazy labels hashed, for every call: 13 µs a row)."""
        key = (type(record), name, getattr(record, name))
        found = self._choices.get(key)
        if found is None:
            found = self._choices[key] = escape(str(getattr(record, f"get_{name}_display")()))
        return found

    def link(self, app: str, pk: int | None, text: Any) -> str:
        """`<a href="<detail>">{{ text|bdi }}</a>`."""
        return f'<a href="{self.url(app, pk)}">{bdi(text)}</a>'

    def _shown(self, value: dt.date) -> str:
        """`value|date:"SHORT_DATE_FORMAT"`, escaped (a moment already in the active time zone)."""
        if self._days is None:
            return escape(dateformat.format(value, self.short_date))
        day = value.date() if isinstance(value, dt.datetime) else value
        shown = self._days.get(day)
        if shown is None:
            write = self._write_day
            shown = self._days[day] = escape(write(day) if write else dateformat.format(day, self.short_date))
        return shown

    def day(self, value: dt.date | None) -> str:
        """`<time datetime="Y-m-d">SHORT_DATE_FORMAT</time>` for a date, nothing for none."""
        if value is None:
            return ""
        shown = self._shown(value)
        # Django's "Y-m-d" and "c" are the ISO forms; Python writes them without the formatter's lookups.
        return f'<time datetime="{value.isoformat()}">{shown}</time>'

    def instant(self, value: dt.datetime) -> str:
        """`<time datetime="c">SHORT_DATE_FORMAT</time>` for a moment, in the active time zone (as the `date`
        filter shows it)."""
        if timezone.is_aware(value):
            value = timezone.localtime(value, self._zone)  # the request's zone, looked up once
        shown = self._shown(value)
        return f'<time datetime="{value.isoformat()}">{shown}</time>'

    def money(self, value: Any) -> str:
        """`money(value)` (`{{ value|floatformat:"2g" }}`); a Decimal of two places (a money column's) is written
        here as the filter writes it, with the separators looked up once per request: the filter's text of such a
        number is the number's own (a zero without its sign), grouped and localized by `numberformat.format`."""
        if type(value) is Decimal:
            _sign, digits, exponent = value.as_tuple()
            if exponent == -2 and len(digits) <= _FLOATFORMAT_DIGITS:
                decimal, grouping, thousands = self._separators
                number = str(value) if value else "0.00"
                return numberformat.format(number, decimal, 2, grouping, thousands, force_grouping=True, use_l10n=True)
        return money(value)

    def source(self, source: Any) -> str:
        """includes/_source_value.html: the source's name, "archived" beside an archived one, a dash for none."""
        if not source:
            return '<span class="muted">—</span>'
        if source.archived:
            return f'{bdi(source.name)} <span class="badge badge--archived">{self.word("archived")}</span>'
        return bdi(source.name)


# The format characters of Django's `date` filter that depend on the day only (not the time, not the time zone).
_DAY_CHARACTERS = frozenset("dDjlNSwzWmMnbEFtLoyY")


# `floatformat` writes a number of more digits than this (with its two places) as it was given.
_FLOATFORMAT_DIGITS = 198

# Django's `date` format characters whose text is a number of the day (as DateFormat writes them), and those whose
# text is the month's name (the active language's: depends on the month alone).
_DAY_NUMBERS: dict[str, Callable[[dt.date], str]] = {
    "d": lambda day: f"{day.day:02d}",
    "j": lambda day: str(day.day),
    "m": lambda day: f"{day.month:02d}",
    "n": lambda day: str(day.month),
    "y": lambda day: f"{day.year % 100:02d}",
    "Y": lambda day: f"{day.year:04d}",
}
_MONTH_NAMES = frozenset("bEFMN")


def day_writer(date_format: str) -> Callable[[dt.date], str] | None:
    """`dateformat.format(day, date_format)` for a format of day numbers, month names and literal text (both
    languages' short date, "j M Y" and "d.m.Y"), split once with Django's own pattern; a month's name is Django's,
    written once per month and writer (one request: its language). None for a format with anything else."""
    parts: list[str | Callable[[dt.date], str]] = []
    for index, piece in enumerate(dateformat.re_formatchars.split(date_format)):
        if not index % 2:
            if piece:
                parts.append(dateformat.re_escaped.sub(r"\1", piece))
        elif piece in _DAY_NUMBERS:
            parts.append(_DAY_NUMBERS[piece])
        elif piece in _MONTH_NAMES:
            parts.append(_month_name(piece))
        else:
            return None

    def write(day: dt.date) -> str:
        return "".join(part if type(part) is str else part(day) for part in parts)  # type: ignore[operator]  # a callable

    return write


def _month_name(character: str) -> Callable[[dt.date], str]:
    names: dict[int, str] = {}

    def name(day: dt.date) -> str:
        found = names.get(day.month)
        if found is None:
            found = names[day.month] = str(dateformat.format(dt.date(2000, day.month, 1), character))
        return found

    return name


def day_only_format(date_format: str) -> bool:
    """Whether `date_format` writes nothing but the day (its backslash-escaped characters are literal)."""
    unescaped = re.sub(r"\\.", "", date_format)
    return all(c in _DAY_CHARACTERS or not c.isalpha() for c in unescaped)


def bdi(value: Any) -> str:
    """core.bidi.bdi (`{{ value|bdi }}`) without the SafeString: the value escaped in `<bdi>`, nothing when empty."""
    if value is None or value == "":
        return ""
    return f"<bdi>{escape(str(value))}</bdi>"


def text(value: Any) -> str:
    """`{{ value }}`: escaped, None as "None" as the template shows it (the columns that use it hold text)."""
    return escape(str(value))


def money(value: Any) -> str:
    """`{{ value|floatformat:"2g" }}`: two decimals, grouped, in the language's separators (the filter's own
    output, safe text, as the template writes it)."""
    return str(floatformat(value, "2g"))


# A cell: (the request's Cells, the record) -> the cell's content, already HTML.
Cell = Callable[[Cells, Any], str]


def table_rows(
    columns: Sequence[Column],
    rows: Iterable[Any],
    *,
    cells: Cells,
    select_label: Callable[[Any], str] | None = None,
) -> SafeString:
    """The `<tr>`s of a list: with `select_label` (the bulk change form is on the page), a first cell with the
    row's checkbox labelled "Select <name>" (the name isolated: an attribute has no `<bdi>`); then each column's
    cell."""
    makers: list[tuple[str, Cell]] = []
    for column in columns:
        if column.cell is None:
            raise ValueError(
                f"the column {column.label} has no cell: every column of a list written in Python needs one"
            )
        makers.append(('<td class="num">' if column.numeric else "<td>", column.cell))
    # As `{% blocktranslate %}`: the translation as it is, the name escaped.
    select = _("Select %(name)s") if select_label is not None else ""
    out = []
    for record in rows:
        parts = ["<tr>"]
        if select_label is not None:
            label = select % {"name": escape(isolate(select_label(record)))}
            parts.append(
                f'<td class="bulk-check"><input type="checkbox" name="ids" value="{escape(str(record.pk))}"'
                f' form="bulk-form" data-bulk-row aria-label="{label}"></td>'
            )
        for opening, maker in makers:
            parts.append(f"{opening}{maker(cells, record)}</td>")
        parts.append("</tr>")
        out.append("".join(parts))
    return SafeString("\n".join(out))


def table_head(headers: Sequence[Header], *, query: QueryDict, path: str, select_all: bool) -> SafeString:
    """includes/_sort_headers.html as it was: the `<thead>`, each sortable header a link that sorts by its column
    (the list's filters kept, its position dropped: `{% querystring sort=<param> cursor=None %}`); with `select_all`,
    the bulk selection's "every record on this page" box first.

    One copy of the list's query serves every header (the tag deep-copied it for each: 0.3 ms of a page).
    """
    params = query.copy()
    params.pop("cursor", None)
    path = escape(path)
    parts = ["<thead>\n<tr>\n"]
    if select_all:
        label = escape(_("Select every record on this page"))
        parts.append(
            f'<th scope="col" class="bulk-check"><input type="checkbox" data-select-page aria-label="{label}"></th>\n'
        )
    for header in headers:
        numeric = ' class="num"' if header.numeric else ""
        aria = f' aria-sort="{escape(header.aria_sort)}"' if header.aria_sort else ""
        label = escape(str(header.label))
        if header.sort_param:
            params["sort"] = header.sort_param  # where `sort` was, or last: as the tag's copy put it
            href = f"{path}{escape('?' + params.urlencode())}"
            arrow = _ARROWS.get(header.aria_sort or "", "")
            label = (
                f'<a class="sort-link" href="{href}" hx-get="{href}" hx-target="#records" hx-swap="outerHTML"'
                f' hx-push-url="true" hx-indicator="#list-loading">{label}{arrow}</a>'
            )
        parts.append(f'<th scope="col"{numeric}{aria}>\n{label}\n</th>\n')
    parts.append("</tr>\n</thead>")
    return SafeString("".join(parts))


_ARROWS = {
    "ascending": ' <span aria-hidden="true">▲</span>',
    "descending": ' <span aria-hidden="true">▼</span>',
}
