"""The statistics tables as HTML rows, built in Python.

A page has three tables of up to ~20 rows and ~8 figures each, every figure with a link, a change and maybe a value
without a rate. Rendered through template includes, then through `format_html` and Django's `number_format` per
cell, they cost more than the SQL of a typical account. Here the language's number format is looked up once per
request, each cell is one f-string whose every inserted text is escaped, and the template writes ready rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote_plus, urlencode

from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from headwater.core import i18n
from headwater.core.bidi import bdi
from headwater.core.reversed import account_reverse
from headwater.stats.filters import StatsFilters
from headwater.stats.money import cents_value
from headwater.stats.results import (
    Change,
    ChannelGroup,
    ClosedRow,
    ContactRow,
    OpenRow,
    SourceInfo,
    Unconverted,
    source_label,
)

_CLOSED = ("won", "lost")
# A change's tone (its colour) from its direction and whether a rise is bad news (lost deals and lost value).
_TONES = {
    ("up", False): "good",
    ("down", False): "bad",
    ("up", True): "bad",
    ("down", True): "good",
    ("same", False): "neutral",
    ("same", True): "neutral",
}
_ZERO = Decimal(0)


class NumberFormat:
    """Localized, with thousands grouping: what `floatformat:"2g"` and Django's `number_format` show.

    Django's formatting looks the separators up on every call. Values the selector quantized to at most `places`
    decimals (every figure of the tables) take the fast path, Python's own grouping with the separators swapped in;
    anything else goes through Django's formatter with the same separators, so the text never differs. With
    `html`, the text comes escaped for HTML (digits and signs need nothing, so only the separators are escaped).
    """

    def __init__(self, *, html: bool = False) -> None:
        language = get_language()
        self.decimal_separator = str(get_format("DECIMAL_SEPARATOR", language, use_l10n=True))
        self.thousand_separator = str(get_format("THOUSAND_SEPARATOR", language, use_l10n=True))
        self.grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
        self.html = html
        text = escape if html else str
        self._thousands, self._decimal = text(self.thousand_separator), text(self.decimal_separator)
        self._plain = self._thousands == "," and self._decimal == "."

    def __call__(self, value: Decimal | int, places: int) -> str:
        # The fast path groups by three, as every language we offer does.
        if self.grouping == 3:
            if type(value) is int:
                return self._localize(f"{value:,}." + "0" * places if places else f"{value:,}")
            if type(value) is Decimal and value and places:
                # Most figures have exactly `places` decimals (the selector's quotients and cents): written as they
                # are, they are the text below, without taking the Decimal apart. Anything else (zero, another
                # exponent, a number long enough for Django's scientific notation) takes the checks below.
                text = f"{value:,f}"
                dot = text.find(".")
                if dot >= 0 and len(text) - dot - 1 == places and len(text) <= 200:
                    return self._localize(text)
            if isinstance(value, Decimal) and value.is_finite():
                _sign, digits, exponent = value.as_tuple()
                # No digit beyond `places` to cut (Django truncates), and short of Django's scientific notation.
                if isinstance(exponent, int) and exponent >= -places and len(digits) + abs(exponent) <= 200:
                    # Django shows any zero, -0.00 included, as zero.
                    return self._localize(f"{value if value else _ZERO:,.{places}f}")
        text = str(
            numberformat.format(
                value,
                self.decimal_separator,
                places,
                self.grouping,
                self.thousand_separator,
                force_grouping=True,
                use_l10n=True,
            )
        )
        return escape(text) if self.html else text

    def cents(self, cents: int) -> str:
        """A value given in whole cents, written as `self(value, 2)` writes its Decimal: the trend's tables write
        thousands of them."""
        if self.grouping != 3:
            return self(cents_value(cents), 2)
        whole, part = divmod(abs(cents), 100)
        return self._localize(f"{'-' if cents < 0 else ''}{whole:,}.{part:02d}")

    def _localize(self, text: str) -> str:
        # Python's "," and "." as the language's separators. Three replaces cost a third of a translate() with a
        # table (a dictionary lookup per character), and a page writes thousands of figures.
        if self._plain:
            return text
        return text.replace(",", "\0").replace(".", self._decimal).replace("\0", self._thousands)


def number(value: Decimal | int, places: int) -> str:
    """One number in the current language's format (the template filters; the tables keep a `NumberFormat`)."""
    return NumberFormat()(value, places)


class Links:
    """Drill-down URLs: the record list showing exactly the records behind a count (source, owner, status, period)."""

    def __init__(self, *, account_slug: str, filters: StatsFilters) -> None:
        bases = {
            kind: account_reverse(f"{kind}:list", account_slug=account_slug)
            for kind in ("companies", "persons", "deals")
        }
        owner: dict[str, str] = {}
        if filters.unowned:
            owner = {"owner": "none"}
        elif filters.owner_id is not None:
            owner = {"owner": str(filters.owner_id)}
        # Every link of a page shares its owner and period; only the source changes from row to row. So each
        # (list, status) keeps its encoded query after the source, in the order the parameters always had.
        self._tails: dict[tuple[str, str], tuple[str, str]] = {}
        self._heads: dict[int | None, str] = {}
        lists = (("companies", ""), ("persons", ""), ("deals", "open"), ("deals", "won"), ("deals", "lost"))
        for kind, status in lists:
            params = dict(owner)
            if kind == "deals":
                params["status"] = status
            if filters.period is not None:
                day = "closed" if status in _CLOSED else "created"
                params[f"{day}_from"] = filters.period.start.isoformat()
                params[f"{day}_to"] = filters.period.end.isoformat()
                if day == "closed":
                    # Deals closed in a period, newest close first: one range of the close-day index. Newest
                    # created first walked back past every deal created since the period (docs/performance.md).
                    params["sort"] = "-closed"
            self._tails[kind, status] = (f"{bases[kind]}?", urlencode(params))

    def url(self, kind: str, source: SourceInfo, status: str = "") -> str:
        if source.is_channel:
            # The record lists filter by one source, not by channel: a channel's totals link nowhere.
            return ""
        base, tail = self._tails[kind, status]
        if source.is_total:
            return base + tail
        head = self._heads.get(source.id)
        if head is None:  # a source's parameter, quoted once per page
            head = self._heads[source.id] = f"source={quote_plus(source.key)}"
        return f"{base}{head}&{tail}" if tail else base + head

    def campaign_url(self, source: SourceInfo, campaign_id: int | None, status: str) -> str:
        """The deals of one campaign (`?campaign=`), as `url` for its source; "" for no campaign (the lists have no
        filter for it)."""
        if campaign_id is None or source.is_channel or source.is_total:
            return ""
        return f"{self.url('deals', source, status)}&campaign={int(campaign_id)}"


def numeric_cells(cells: Sequence[str]) -> str:
    """`<td class="num">` around each cell (HTML already), in one join: a page writes a few thousand cells."""
    return f'<td class="num">{_BETWEEN_CELLS.join(cells)}</td>' if cells else ""


_BETWEEN_CELLS = '</td><td class="num">'


@dataclass(frozen=True)
class RowView:
    row: Any  # the selector's ContactRow, OpenRow or ClosedRow
    header: str  # HTML
    cells: list[str]  # HTML

    @property
    def html(self) -> str:
        return f'<tr><th scope="row">{self.header}</th>{numeric_cells(self.cells)}</tr>'


@dataclass(frozen=True)
class TableView:
    rows: list[RowView]
    total: RowView
    body: SafeString  # the <tbody>'s rows
    foot: SafeString  # the <tfoot>'s total row


def scrolling_table_html(
    *, table_id: str, caption: str, head: str, body: str, foot: str, bodies: str | None = None
) -> SafeString:
    """A statistics table in its scroll box: a region named by the caption, reachable with the keyboard, and a hint
    that stats.js shows when the table is wider than the box. `head`, `body` and `foot` are HTML already; the
    caption is escaped here."""
    hint = escape(i18n.gettext("Scroll sideways for every column; the source stays in view."))
    ids = escape(table_id)
    return SafeString(
        f'<p class="stats-scroll-hint" id="{ids}-hint" hidden>{hint}</p>\n'
        '<div class="stats-scroll-frame js-stats-scroll">\n'
        f'<div class="table-wrap stats-scroll" tabindex="0" role="region" aria-labelledby="{ids}-caption" '
        f'aria-describedby="{ids}-hint">\n'
        f'<table class="table stats-table" id="{ids}">\n'
        f'  <caption class="visually-hidden" id="{ids}-caption">{escape(caption)}</caption>\n'
        f"  <thead>{head}</thead>\n"
        + (bodies if bodies is not None else f"  <tbody>\n    {body}\n  </tbody>\n")
        + f"  <tfoot>{foot}</tfoot>\n"
        "</table>\n</div>\n</div>"
    )  # every inserted text escaped above or built escaped (Cells, the view's header row)


def part_placeholder_html(element_id: str, url: str, *, loading: str, failed: str, open_apart: str) -> str:
    """What a closed drill-down (`<details>`) holds until its part of the page loads, the element its htmx request
    replaces: a loading line shown during the request (`.htmx-indicator`), and a link to the same part on a page of
    its own, for a browser without a script and after a failed load (with `failed`, which stats.js shows then).
    Every argument comes escaped for HTML."""
    return (
        f'<div class="stats-part js-stats-part" id="{element_id}" data-failed="{failed}">\n'
        f'<p class="stats-part__loading htmx-indicator" role="status">{loading}</p>\n'
        f'<p class="stats-part__apart"><a href="{url}">{open_apart}</a></p>\n'
        "</div>\n"
    )


class Cells:
    """Formats one request's cells as HTML; translated labels and the number format are looked up once.

    Every method escapes what it inserts (numbers come escaped from `NumberFormat`), so the rows are safe as a whole.
    """

    def __init__(self, links: Links) -> None:
        self.links = links
        self.number = NumberFormat(html=True)
        self.changed = escape(i18n.gettext("change from the previous period:"))
        self.points = escape(i18n.gettext("pp"))
        self.no_rate = escape(i18n.gettext("No exchange rate: not included in the value"))
        self.archived = escape(i18n.gettext("archived"))
        self.show_sources = escape(i18n.gettext("(show its sources)"))
        self.interval = escape(i18n.gettext("Interval (95%):"))
        self.empty = "—"
        # Each source's row header, written once per request: the page's five tables (and the campaigns') head a
        # row with the same sources. By the object's id, the object kept beside it (a hash of the frozen
        # dataclass's eleven fields would cost about what writing the header does).
        self._headers: dict[int, tuple[SourceInfo, str]] = {}

    def header(self, source: SourceInfo) -> str:
        cached = self._headers.get(id(source))
        if cached is not None and cached[0] is source:
            return cached[1]
        # A source's name is user text, isolated like everywhere (core.bidi); "Total" and "No source" are ours.
        label = bdi(source_label(source)) if source.known and source.id is not None else escape(source_label(source))
        if source.archived:
            label = f'{label} <span class="badge badge--archived">{self.archived}</span>'
        self._headers[id(source)] = (source, label)
        return label

    def change(self, change: Change | None, places: int, *, points: bool = False, worse_when_up: bool = False) -> str:
        """The change under a figure; its colour says whether it is good news (more won is, more lost is not)."""
        if change is None:
            return ""
        text = self.number(change.delta, places)
        if change.delta > 0:
            text = f"+{text}"
        if points:
            text = f"{text} {self.points}"
        # The change and its percent each stay on one line but may go on two, so a narrow column stays narrow.
        text = f'<span class="stats-change__part">{text}</span>'
        if change.percent is not None:
            sign = "+" if change.percent > 0 else ""
            text += f' <span class="stats-change__part">({sign}{self.number(change.percent, 1)}%)</span>'
        direction = change.direction
        tone = _TONES[direction, worse_when_up]
        return (
            f'<span class="stats-change stats-change--{direction} stats-change--{tone}">'
            f'<span class="visually-hidden">{self.changed} </span>{text}</span>'
        )

    def count(self, value: int, url: str, change: Change | None, *, worse_when_up: bool = False) -> str:
        counted = self.change(change, 0, worse_when_up=worse_when_up)
        if not url:
            return f"{self.number(value, 0)}{counted}"
        return f'<a href="{escape(url)}">{self.number(value, 0)}</a>{counted}'

    def share(self, value: Decimal | None) -> str:
        return self.empty if value is None else f"{self.number(value, 1)}%"

    def money(
        self,
        value: Decimal | None,
        apart: Sequence[Unconverted] = (),
        change: Change | None = None,
        *,
        worse_when_up: bool = False,
    ) -> str:
        if value is None:
            return self.empty
        text = self.number(value, 2)
        if apart:  # most values have every currency converted: no generator to join
            text += "".join(
                f'<span class="stats-unconverted" title="{self.no_rate}">'
                f"+ {self.number(u.value, 2)} {escape(u.currency)}</span>"
                for u in apart
            )
        return text + self.change(change, 2, worse_when_up=worse_when_up) if change is not None else text

    def rate(
        self, value: Decimal | None, change: Change | None, interval: tuple[Decimal, Decimal] | None = None
    ) -> str:
        if value is None:
            return self.empty
        shown = f"{self.number(value, 1)}%"
        if interval is not None:
            low, high = (self.number(end, 1) for end in interval)
            shown += (
                f'<span class="stats-interval"><span class="visually-hidden">{self.interval} </span>'
                f"({low}–{high}%)</span>"  # noqa: RUF001 — a range takes an en dash
            )
        return f"{shown}{self.change(change, 1, points=True)}"

    def days(self, value: Decimal | None) -> str:
        return self.empty if value is None else self.number(value, 1)

    def median(self, value: Decimal | None, still_open: int) -> str:
        """The median days to close, and under it how many of the row's deals are still open (their time to close
        is not known yet, so a row with many of them closes slower than its median says)."""
        if not still_open:
            return self.days(value)
        note = i18n.ngettext("%(count)s still open", "%(count)s still open", still_open) % {
            "count": self.number(still_open, 0)
        }
        return f'{self.days(value)}<span class="stats-still-open">{escape(note)}</span>'

    # --- One row per section ---------------------------------------------------------------------------

    def contacts(self, row: ContactRow) -> list[str]:
        url = self.links.url
        return [
            self.count(row.companies, url("companies", row.source), row.changes.get("companies")),
            self.share(row.companies_share),
            self.count(row.persons, url("persons", row.source), row.changes.get("persons")),
            self.share(row.persons_share),
        ]

    def open(self, row: OpenRow) -> list[str]:
        return [
            self.count(row.count, self.links.url("deals", row.source, "open"), row.changes.get("count")),
            self.share(row.count_share),
            self.money(row.value, row.unconverted, row.changes.get("value")),
            self.share(row.value_share),
            self.money(row.average),
        ]

    def closed(self, row: ClosedRow) -> list[str]:
        url = self.links.url
        return [
            self.count(row.won_count, url("deals", row.source, "won"), row.changes.get("won_count")),
            self.money(row.won_value, row.won_unconverted, row.changes.get("won_value")),
            # More lost deals, or more value lost, is bad news.
            self.count(
                row.lost_count, url("deals", row.source, "lost"), row.changes.get("lost_count"), worse_when_up=True
            ),
            self.money(row.lost_value, row.lost_unconverted, row.changes.get("lost_value"), worse_when_up=True),
            self.rate(row.win_rate, row.changes.get("win_rate"), row.win_rate_interval),
            self.money(row.average_won),
            self.days(row.average_days),
            self.median(row.median_days, row.still_open),
        ]

    def table(
        self,
        rows: Sequence[Any],
        total: Any,
        cells: Callable[[Any], list[str]],
        header: Callable[[SourceInfo], str] | None = None,
    ) -> TableView:
        source_header = header or self.header
        views = [RowView(row=row, header=source_header(row.source), cells=cells(row)) for row in rows]
        total_view = RowView(row=total, header=self.header(total.source), cells=cells(total))
        # The whitespace the template loop used to write between rows, so the page's HTML stays the same.
        body = "".join(f"{view.html}\n    " for view in views)
        foot = total_view.html.replace("<tr>", '<tr class="stats-total">', 1)
        return TableView(rows=views, total=total_view, body=SafeString(body), foot=SafeString(foot))

    def grouped_table(
        self,
        *,
        table_id: str,
        groups: Sequence[ChannelGroup[Any]],
        loose: Sequence[Any],
        total: Any,
        cells: Callable[[Any], list[str]],
        header: Callable[[SourceInfo], str] | None = None,
    ) -> tuple[TableView, str]:
        """The table rolled up by channel: one `<tbody>` per channel, its totals row first, with a checkbox that
        shows or hides its sources (CSS `:has()`, no script needed), then a `<tbody>` of the rows in no channel.
        Returns the view and the `<tbody>` elements' HTML. `header` writes a source's row header (`self.header`)."""
        source_header = header or self.header
        views: list[RowView] = []
        parts: list[str] = []
        for number, group in enumerate(groups):
            toggle = f"{escape(table_id)}-channel-{number}"
            name = source_label(group.row.source)
            label = bdi(name) if group.row.source.channel_id is not None else escape(name)
            channel_header = (
                f'<input type="checkbox" class="stats-channel__toggle" id="{toggle}" checked>'
                f'<label for="{toggle}">{label}<span class="visually-hidden"> {self.show_sources}</span></label>'
            )
            channel_view = RowView(row=group.row, header=channel_header, cells=cells(group.row))
            source_views = [RowView(row=row, header=source_header(row.source), cells=cells(row)) for row in group.rows]
            views += [channel_view, *source_views]
            rows_html = "".join(
                "\n    " + view.html.replace("<tr>", '<tr class="stats-channel__source">', 1) for view in source_views
            )
            channel_html = channel_view.html.replace("<tr>", '<tr class="stats-channel__row">', 1)
            parts.append(f'  <tbody class="stats-channel">\n    {channel_html}{rows_html}\n  </tbody>\n')
        loose_views = [RowView(row=row, header=source_header(row.source), cells=cells(row)) for row in loose]
        views += loose_views
        if loose_views:
            parts.append("  <tbody>\n    " + "\n    ".join(view.html for view in loose_views) + "\n  </tbody>\n")
        total_view = RowView(row=total, header=self.header(total.source), cells=cells(total))
        foot = total_view.html.replace("<tr>", '<tr class="stats-total">', 1)
        view = TableView(rows=views, total=total_view, body=SafeString(""), foot=SafeString(foot))
        return view, "".join(parts)
