"""The statistics page as CSV: the same rows, order and figures as on screen, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from headwater.core.models import Account
from headwater.stats.filters import Period
from headwater.stats.forms import StatsFilterForm
from headwater.stats.selectors import (
    ClosedRow,
    ContactRow,
    OpenRow,
    SourceStats,
    Unconverted,
    sort_rows,
    source_label,
    source_stats,
)

# A spreadsheet runs a cell starting with one of these as a formula (or shifts it into one).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_safe(value: Any) -> Any:
    """Text cells that a spreadsheet would treat as a formula get a leading apostrophe; numbers are written as is."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return value


def _number(value: Decimal | int | None) -> str:
    return "" if value is None else str(value)


def _unconverted(items: Iterable[Unconverted]) -> str:
    return "; ".join(f"{item.currency} {item.value} ({item.count})" for item in items)


def _change_columns(names: Sequence[tuple[str, str]]) -> list[str]:
    columns = []
    for _name, title in names:
        columns += [_("%(figure)s: change") % {"figure": title}, _("%(figure)s: change (%%)") % {"figure": title}]
    return columns


def _change_cells(row: Any, names: Sequence[tuple[str, str]]) -> list[str]:
    cells = []
    for name, _title in names:
        change = row.changes.get(name)
        cells += ["", ""] if change is None else [_number(change.delta), _number(change.percent)]
    return cells


def _section(
    writer: Any,
    *,
    title: str,
    columns: list[str],
    rows: list[Any],
    total: Any,
    cells: Callable[[Any], list[Any]],
    changes: Sequence[tuple[str, str]],
    compared: bool,
) -> None:
    writer.writerow([csv_safe(title)])
    writer.writerow([_("Source"), _("Archived"), *columns, *(_change_columns(changes) if compared else [])])
    for row in [*rows, total]:
        archived = _("yes") if row.source.archived else ""
        extra = _change_cells(row, changes) if compared else []
        writer.writerow([csv_safe(source_label(row.source)), archived, *cells(row), *extra])
    writer.writerow([])


def source_stats_csv(
    stats: SourceStats,
    *,
    account_name: str,
    owner_label: str,
    sorts: dict[str, tuple[str, bool] | None],
) -> str:
    cur = stats.base_currency
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Acquisition source statistics"), csv_safe(account_name)])
    if stats.period is None:
        writer.writerow([_("Period"), str(Period.ALL.label)])
    else:
        writer.writerow([_("Period"), stats.period.start.isoformat(), stats.period.end.isoformat()])
    if stats.previous_period is not None:
        writer.writerow(
            [
                _("Compared with"),
                stats.previous_period.start.isoformat(),
                stats.previous_period.end.isoformat(),
            ]
        )
    writer.writerow([_("Owner"), csv_safe(owner_label)])
    writer.writerow([_("Currency"), cur])
    for item in stats.missing_rates:
        writer.writerow(
            [
                _("No exchange rate"),
                item.currency,
                _("%(count)s deals, %(value)s %(currency)s, not included in the values")
                % {"count": item.count, "value": item.value, "currency": item.currency},
            ]
        )
    writer.writerow([])

    def contact_cells(row: ContactRow) -> list[Any]:
        return [row.companies, _number(row.companies_share), row.persons, _number(row.persons_share)]

    _section(
        writer,
        title=_("Contacts"),
        columns=[_("Companies"), _("Share of companies (%)"), _("Persons"), _("Share of persons (%)")],
        rows=sort_rows(stats.contacts.rows, sorts.get("contacts")),
        total=stats.contacts.total,
        cells=contact_cells,
        changes=[("companies", _("Companies")), ("persons", _("Persons"))],
        compared=stats.compared,
    )

    def open_cells(row: OpenRow) -> list[Any]:
        return [
            row.count,
            _number(row.count_share),
            _number(row.value),
            _number(row.value_share),
            _number(row.average),
            _unconverted(row.unconverted),
        ]

    _section(
        writer,
        title=_("Open deals"),
        columns=[
            _("Deals"),
            _("Share (%)"),
            _("Value (%(currency)s)") % {"currency": cur},
            _("Share of value (%)"),
            _("Average value (%(currency)s)") % {"currency": cur},
            _("Value without an exchange rate"),
        ],
        rows=sort_rows(stats.open_deals.rows, sorts.get("open")),
        total=stats.open_deals.total,
        cells=open_cells,
        changes=[("count", _("Deals")), ("value", _("Value"))],
        compared=stats.compared,
    )

    def closed_cells(row: ClosedRow) -> list[Any]:
        return [
            row.won_count,
            _number(row.won_value),
            row.lost_count,
            _number(row.lost_value),
            _number(row.win_rate),
            _number(row.average_won),
            _number(row.average_days),
            _unconverted(row.won_unconverted),
            _unconverted(row.lost_unconverted),
        ]

    _section(
        writer,
        title=_("Closed deals"),
        columns=[
            pgettext("number of deals", "Won"),
            _("Won value (%(currency)s)") % {"currency": cur},
            pgettext("number of deals", "Lost"),
            _("Lost value (%(currency)s)") % {"currency": cur},
            _("Win rate (%)"),
            _("Average won value (%(currency)s)") % {"currency": cur},
            _("Average days to close"),
            _("Won value without an exchange rate"),
            _("Lost value without an exchange rate"),
        ],
        rows=sort_rows(stats.closed_deals.rows, sorts.get("closed")),
        total=stats.closed_deals.total,
        cells=closed_cells,
        changes=[
            ("won_count", pgettext("number of deals", "Won")),
            ("won_value", _("Won value")),
            ("lost_count", pgettext("number of deals", "Lost")),
            ("lost_value", _("Lost value")),
            ("win_rate", _("Win rate")),
        ],
        compared=stats.compared,
    )
    return out.getvalue()


def source_stats_csv_response(*, account: Account, form: StatsFilterForm) -> HttpResponse:
    """The CSV file for a validated filter form: the same for the page's link and for the API (by token).

    Never stored by a cache on the way: it is one account's figures, fetched with a session or a token.
    """
    stats = source_stats(account=account, filters=form.filters())
    body = source_stats_csv(stats, account_name=account.name, owner_label=form.owner_label(), sorts=form.sorts())
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = stats.period.end.isoformat() if stats.period else "all-time"
    response["Content-Disposition"] = f'attachment; filename="source-statistics-{account.slug}-{stamp}.csv"'
    add_never_cache_headers(response)
    return response
