"""The statistics tables as HTML cells, built in Python.

A page of the big account has three tables of up to ~20 rows and ~8 figures each, every figure with a link, a
change and maybe a value without a rate: rendered through template includes that took longer than the SQL. Here
each cell is formatted once with `format_html` (escaped, localized with Django's number formatting) and the
template only loops over ready cells.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from headwater.stats.filters import StatsFilters
from headwater.stats.selectors import (
    Change,
    ClosedRow,
    ContactRow,
    OpenRow,
    SourceInfo,
    Unconverted,
    source_label,
)

_CLOSED = ("won", "lost")


def number(value: Decimal | int, places: int) -> str:
    """Localized, with thousands grouping: what `floatformat:"2g"` shows."""
    return str(number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True))


class Links:
    """Drill-down URLs: the record list showing exactly the records behind a count (source, owner, status, period)."""

    def __init__(self, *, account_slug: str, filters: StatsFilters) -> None:
        self.bases = {
            kind: reverse(f"{kind}:list", kwargs={"account_slug": account_slug})
            for kind in ("companies", "persons", "deals")
        }
        self.owner: dict[str, str] = {}
        if filters.unowned:
            self.owner = {"owner": "none"}
        elif filters.owner_id is not None:
            self.owner = {"owner": str(filters.owner_id)}
        self.period = filters.period

    def url(self, kind: str, source: SourceInfo, status: str = "") -> str:
        params: dict[str, str] = {} if source.is_total else {"source": source.key}
        params.update(self.owner)
        if kind == "deals":
            params["status"] = status
        if self.period is not None:
            day = "closed" if status in _CLOSED else "created"
            params[f"{day}_from"] = self.period.start.isoformat()
            params[f"{day}_to"] = self.period.end.isoformat()
        return f"{self.bases[kind]}?{urlencode(params)}"


@dataclass(frozen=True)
class RowView:
    row: Any  # the selector's ContactRow, OpenRow or ClosedRow
    header: SafeString
    cells: list[SafeString]


class Cells:
    """Formats one request's cells; translated labels are looked up once."""

    def __init__(self, links: Links) -> None:
        self.links = links
        self.changed = _("change from the previous period:")
        self.points = _("pp")
        self.no_rate = _("No exchange rate: not included in the value")
        self.archived = _("archived")
        self.empty = mark_safe("—")

    def header(self, source: SourceInfo) -> SafeString:
        if source.archived:
            return format_html('{} <span class="badge badge--archived">{}</span>', source_label(source), self.archived)
        return format_html("{}", source_label(source))

    def change(self, change: Change | None, places: int, *, points: bool = False) -> SafeString:
        if change is None:
            return mark_safe("")
        text = number(change.delta, places)
        if change.delta > 0:
            text = f"+{text}"
        if points:
            text = f"{text} {self.points}"
        if change.percent is not None:
            percent = number(change.percent, 1)
            text = f"{text} ({'+' if change.percent > 0 else ''}{percent}%)"
        return format_html(
            '<span class="stats-change stats-change--{}"><span class="visually-hidden">{} </span>{}</span>',
            change.direction,
            self.changed,
            text,
        )

    def count(self, value: int, url: str, change: Change | None) -> SafeString:
        return format_html('<a href="{}">{}</a>{}', url, number(value, 0), self.change(change, 0))

    def share(self, value: Decimal | None) -> SafeString:
        return self.empty if value is None else format_html("{}%", number(value, 1))

    def money(
        self, value: Decimal | None, apart: Sequence[Unconverted] = (), change: Change | None = None
    ) -> SafeString:
        if value is None:
            return self.empty
        missing = format_html_join(
            "",
            '<span class="stats-unconverted" title="{}">+ {} {}</span>',
            ((self.no_rate, number(u.value, 2), u.currency) for u in apart),
        )
        return format_html("{}{}{}", number(value, 2), missing, self.change(change, 2))

    def rate(self, value: Decimal | None, change: Change | None) -> SafeString:
        if value is None:
            return self.empty
        return format_html("{}%{}", number(value, 1), self.change(change, 1, points=True))

    def days(self, value: Decimal | None) -> SafeString:
        return self.empty if value is None else format_html("{}", number(value, 1))

    # --- One row per section ---------------------------------------------------------------------------

    def contacts(self, row: ContactRow) -> list[SafeString]:
        url = self.links.url
        return [
            self.count(row.companies, url("companies", row.source), row.changes.get("companies")),
            self.share(row.companies_share),
            self.count(row.persons, url("persons", row.source), row.changes.get("persons")),
            self.share(row.persons_share),
        ]

    def open(self, row: OpenRow) -> list[SafeString]:
        return [
            self.count(row.count, self.links.url("deals", row.source, "open"), row.changes.get("count")),
            self.share(row.count_share),
            self.money(row.value, row.unconverted, row.changes.get("value")),
            self.share(row.value_share),
            self.money(row.average),
        ]

    def closed(self, row: ClosedRow) -> list[SafeString]:
        url = self.links.url
        return [
            self.count(row.won_count, url("deals", row.source, "won"), row.changes.get("won_count")),
            self.money(row.won_value, row.won_unconverted, row.changes.get("won_value")),
            self.count(row.lost_count, url("deals", row.source, "lost"), row.changes.get("lost_count")),
            self.money(row.lost_value, row.lost_unconverted, row.changes.get("lost_value")),
            self.rate(row.win_rate, row.changes.get("win_rate")),
            self.money(row.average_won),
            self.days(row.average_days),
        ]

    def rows(self, rows: Sequence[Any], cells: Callable[[Any], list[SafeString]]) -> list[RowView]:
        return [RowView(row=row, header=self.header(row.source), cells=cells(row)) for row in rows]
