"""The statistics page as CSV or XLSX: the same rows, order and figures as on screen, safe to open in a
spreadsheet (core/spreadsheet.py: the CSV in the user's language's delimiter and decimal mark, with a BOM; the
XLSX with numbers as numbers and text never as formulas)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from django.http import FileResponse, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from headwater.core.models import Account
from headwater.core.spreadsheet import (
    BOM,
    XLSX_CONTENT_TYPE,
    Cell,
    SpreadsheetWriter,
    XlsxSheet,
    csv_format_for,
    xlsx_file,
)
from headwater.stats.filters import DateRange, GroupBy, Period
from headwater.stats.forms import StatsFilterForm
from headwater.stats.funnel_page import funnel_columns
from headwater.stats.results import (
    ClosedRow,
    ContactRow,
    FunnelRow,
    OpenRow,
    ReturnRow,
    Section,
    SourceStats,
    Unconverted,
    campaign_label,
    channel_label,
    source_label,
)
from headwater.stats.returns_page import campaign_columns, return_columns
from headwater.stats.selectors import source_stats_and_trend, touch_stats
from headwater.stats.sorting import sort_groups, sort_rows
from headwater.stats.touches import TouchStats
from headwater.stats.trend import Trend, TrendBy


def _unconverted(items: Iterable[Unconverted]) -> str:
    return "; ".join(f"{item.currency} {item.value} ({item.count})" for item in items)


def _change_columns(names: Sequence[tuple[str, str]]) -> list[str]:
    columns = []
    for _name, title in names:
        columns += [_("%(figure)s: change") % {"figure": title}, _("%(figure)s: change (%%)") % {"figure": title}]
    return columns


def _change_cells(row: Any, names: Sequence[tuple[str, str]]) -> list[Cell]:
    cells: list[Cell] = []
    for name, _title in names:
        change = row.changes.get(name)
        cells += [None, None] if change is None else [change.delta, change.percent]
    return cells


class RowWriter(Protocol):
    def writerow(self, row: Iterable[Cell]) -> None: ...


def _section(
    writer: RowWriter,
    *,
    title: str,
    columns: list[str],
    section: Section[Any],
    sort: tuple[str, bool] | None,
    cells: Callable[[Any], list[Any]],
    changes: Sequence[tuple[str, str]],
    compared: bool,
) -> None:
    """The section's rows as on the page: with channels, each channel's totals ("All sources" of the channel) before
    its sources, then "No source"; every source row names its channel."""
    writer.writerow([title])
    writer.writerow(
        [_("Source"), _("Channel"), _("Archived"), *columns, *(_change_columns(changes) if compared else [])]
    )
    if section.channels:
        rows = [
            row for group in sort_groups(section.channels, sort) for row in [group.row, *sort_rows(group.rows, sort)]
        ]
        rows += sort_rows(section.loose_rows, sort)
    else:
        rows = sort_rows(section.rows, sort)
    for row in [*rows, section.total]:
        archived = _("yes") if row.source.archived else ""
        extra = _change_cells(row, changes) if compared else []
        if row.source.is_channel:
            label, channel = _("All sources"), source_label(row.source)
        else:
            label, channel = source_label(row.source), channel_label(row.source)
        writer.writerow([label, channel, archived, *cells(row), *extra])
    writer.writerow([])


def source_stats_csv(
    stats: SourceStats,
    *,
    account_name: str,
    owner_label: str,
    sorts: dict[str, tuple[str, bool] | None],
    language: str | None = None,
    channel_label_text: str = "",
    trend: Trend | None = None,
) -> str:
    """The CSV text (a BOM first), delimited and with the decimal mark of `language` (default: the active one)."""
    out = io.StringIO()
    out.write(BOM)
    writer = SpreadsheetWriter(out, csv_format_for(language or get_language()))
    write_source_stats(
        writer,
        stats,
        account_name=account_name,
        owner_label=owner_label,
        sorts=sorts,
        channel_label_text=channel_label_text,
        trend=trend,
    )
    return out.getvalue()


def write_source_stats(
    writer: RowWriter,
    stats: SourceStats,
    *,
    account_name: str,
    owner_label: str,
    sorts: dict[str, tuple[str, bool] | None],
    channel_label_text: str = "",
    trend: Trend | None = None,
) -> None:
    """The page's rows, to a CSV or an XLSX writer (with the trend's months last, when given)."""
    cur = stats.base_currency
    writer.writerow([_("Acquisition source statistics"), account_name])
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
    writer.writerow([_("Owner"), owner_label])
    if channel_label_text:
        writer.writerow([_("Channel"), channel_label_text])
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

    def contact_cells(row: ContactRow) -> list[Cell]:
        return [row.companies, row.companies_share, row.persons, row.persons_share]

    _section(
        writer,
        title=_("Contacts"),
        columns=[_("Companies"), _("Share of companies (%)"), _("Persons"), _("Share of persons (%)")],
        section=stats.contacts,
        sort=sorts.get("contacts"),
        cells=contact_cells,
        changes=[("companies", _("Companies")), ("persons", _("Persons"))],
        compared=stats.compared,
    )

    def open_cells(row: OpenRow) -> list[Cell]:
        return [
            row.count,
            row.count_share,
            row.value,
            row.value_share,
            row.average,
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
        section=stats.open_deals,
        sort=sorts.get("open"),
        cells=open_cells,
        changes=[("count", _("Deals")), ("value", _("Value"))],
        compared=stats.compared,
    )

    def closed_cells(row: ClosedRow) -> list[Cell]:
        return [
            row.won_count,
            row.won_value,
            row.lost_count,
            row.lost_value,
            row.win_rate,
            *(row.win_rate_interval or (None, None)),
            row.average_won,
            row.average_days,
            row.median_days,
            row.still_open,
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
            _("Win rate, 95% interval: low (%)"),
            _("Win rate, 95% interval: high (%)"),
            _("Average won value (%(currency)s)") % {"currency": cur},
            _("Average days to close"),
            _("Median days to close"),
            _("Still open (created in the period)"),
            _("Won value without an exchange rate"),
            _("Lost value without an exchange rate"),
        ],
        section=stats.closed_deals,
        sort=sorts.get("closed"),
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
    _write_returns(writer, stats)
    _write_funnel(writer, stats)
    if trend is not None:
        _write_trend(writer, trend)


def _write_trend(writer: RowWriter, trend: Trend) -> None:
    """The trend's two tables as on the page: a row per month, a column per source (channel) and the total."""
    names = [source_label(s.source) for s in trend.series]
    writer.writerow([_("Trend: new contacts per month")])
    writer.writerow([_("Month"), *names, _("Total")])
    for at, month in enumerate(trend.months):
        writer.writerow([month.isoformat()[:7], *(s.contacts[at] for s in trend.series), trend.contacts_total[at]])
    writer.writerow([])
    writer.writerow([_("Trend: won value per month (%(currency)s)") % {"currency": trend.base_currency}])
    writer.writerow([_("Month"), *names, _("Total"), _("Without an exchange rate")])
    for at, month in enumerate(trend.months):
        writer.writerow(
            [
                month.isoformat()[:7],
                *(s.won[at].value for s in trend.series),
                trend.won_total[at].value,
                _unconverted(trend.unconverted(at)),
            ]
        )
    writer.writerow([])


def _write_funnel(writer: RowWriter, stats: SourceStats) -> None:
    """The funnel (stats/funnel_sql.py), last, in the catalogue's order as on the page."""
    if stats.funnel is None:
        return

    def funnel_row(row: FunnelRow) -> list[Cell]:
        return [row.contacts, row.with_deal, row.deal_rate, row.won, row.win_rate, row.overall_rate]

    _section(
        writer,
        title=_("Funnel"),
        columns=[f"{title} (%)" if index in (2, 4, 5) else title for index, title in enumerate(funnel_columns())],
        section=stats.funnel,
        sort=None,
        cells=funnel_row,
        changes=[("contacts", _("New contacts")), ("with_deal", _("With a deal")), ("won", _("With a won deal"))],
        compared=stats.compared,
    )


def _write_returns(writer: RowWriter, stats: SourceStats) -> None:
    """Spend and return (stats/returns.py), after the deal tables, in the catalogue's order as on the page."""
    if stats.returns is None:
        return
    for item in stats.spend_missing_rates:
        writer.writerow(
            [
                _("No exchange rate"),
                item.currency,
                _("%(value)s %(currency)s of spend, not included in the spend")
                % {"value": item.value, "currency": item.currency},
            ]
        )

    def return_cells(row: ReturnRow) -> list[Cell]:
        return [
            row.spend,
            row.cost_per_contact,
            row.cost_per_deal,
            row.cost_per_won,
            row.won_value,
            row.roi,
            row.roas,
            _unconverted(row.spend_unconverted),
        ]

    _section(
        writer,
        title=_("Spend and return"),
        columns=[*return_columns(stats.base_currency), _("Spend without an exchange rate")],
        section=stats.returns,
        sort=None,
        cells=return_cells,
        changes=_return_changes(),
        compared=stats.compared,
    )
    _write_campaigns(writer, stats)


def _return_changes() -> list[tuple[str, str]]:
    """The changes of "Spend and return", of a source's row and of a campaign's alike."""
    return [("spend", _("Spend")), ("roi", _("ROI"))]


def _write_campaigns(writer: RowWriter, stats: SourceStats) -> None:
    """Spend and return per campaign (stats/campaign_stats.py): each source's campaigns, then "(no campaign)", in
    the order of the sources above (channels, then sources). Nothing when no source has campaigns."""
    if stats.returns is None or not stats.campaigns:
        return
    section = stats.returns
    sources = (
        [row for group in section.channels for row in group.rows] + section.loose_rows
        if section.channels
        else section.rows
    )
    changes = _return_changes()
    writer.writerow([_("Spend and return per campaign")])
    writer.writerow(
        [
            _("Source"),
            _("Channel"),
            _("Campaign"),
            _("Archived"),
            *campaign_columns(stats.base_currency),
            _("Spend without an exchange rate"),
            *(_change_columns(changes) if stats.compared else []),
        ]
    )
    for source_row in sources:
        for row in stats.campaigns.get(source_row.source.id, ()):
            writer.writerow(
                [
                    source_label(row.source),
                    channel_label(row.source),
                    campaign_label(row.campaign),
                    _("yes") if row.campaign.archived else "",
                    row.contacts,
                    row.deals,
                    row.won_count,
                    row.won_value,
                    row.spend,
                    row.cost_per_contact,
                    row.cost_per_deal,
                    row.cost_per_won,
                    row.roi,
                    row.roas,
                    _unconverted(row.spend_unconverted),
                    *(_change_cells(row, changes) if stats.compared else []),
                ]
            )
    writer.writerow([])


def write_touch_stats(writer: RowWriter, stats: TouchStats, *, account_name: str, channel_label_text: str = "") -> None:
    """The page grouped by touch, to a CSV or an XLSX writer: its two tables, in its row order."""
    writer.writerow([_("Acquisition source statistics"), account_name])
    if stats.period is None:
        writer.writerow([_("Period"), str(Period.ALL.label)])
    else:
        writer.writerow([_("Period"), stats.period.start.isoformat(), stats.period.end.isoformat()])
    writer.writerow([_("Group by"), str(GroupBy(stats.group_by).label)])
    if channel_label_text:
        writer.writerow([_("Channel"), channel_label_text])
    writer.writerow([])
    writer.writerow([_("Records per touch source")])
    writer.writerow(
        [_("Source"), _("Channel"), _("Archived"), _("Companies"), _("Persons"), _("Share of persons (%)"), _("Deals")]
    )
    for row in [*stats.rows, stats.total]:
        archived = _("yes") if row.source.archived else ""
        writer.writerow(
            [
                source_label(row.source),
                channel_label(row.source),
                archived,
                row.companies,
                row.persons,
                row.persons_share,
                row.deals,
            ]
        )
    writer.writerow([])
    writer.writerow([_("Tracked against self-reported (persons)")])
    writer.writerow(
        [
            _("Source"),
            _("Channel"),
            _("Archived"),
            _("Tracked"),
            _("Self-reported"),
            _("Both"),
            _("Tracked and answered"),
            _("Agreement (%)"),
        ]
    )
    for row in [*stats.rows, stats.total]:
        archived = _("yes") if row.source.archived else ""
        writer.writerow(
            [
                source_label(row.source),
                channel_label(row.source),
                archived,
                row.tracked,
                row.reported,
                row.agree,
                row.answered,
                row.agreement,
            ]
        )
    writer.writerow([])


def source_stats_xlsx_response(*, account: Account, form: StatsFilterForm) -> FileResponse:
    """The same rows as the CSV, as an XLSX workbook: written in constant memory to a temporary file (unlinked once
    open), then streamed."""
    filters = form.filters()
    if filters.by_touch:
        touches = touch_stats(account=account, filters=filters)

        def write_touches(sheet: XlsxSheet) -> None:
            write_touch_stats(sheet, touches, account_name=account.name, channel_label_text=form.channel_label())

        return _xlsx_response(account=account, write=write_touches, period=filters.period)
    stats, trend = source_stats_and_trend(account=account, filters=filters, by=_trend_by(form))

    def write(sheet: XlsxSheet) -> None:
        write_source_stats(
            sheet,
            stats,
            trend=trend,
            account_name=account.name,
            owner_label=form.owner_label(),
            sorts=form.sorts(),
            channel_label_text=form.channel_label(),
        )

    return _xlsx_response(account=account, write=write, period=stats.period)


def _xlsx_response(*, account: Account, write: Callable[[XlsxSheet], None], period: DateRange | None) -> FileResponse:
    stream = xlsx_file(write, title=_("Acquisition sources"))
    response = FileResponse(stream, content_type=XLSX_CONTENT_TYPE)
    stamp = period.end.isoformat() if period else "all-time"
    response["Content-Disposition"] = f'attachment; filename="source-statistics-{account.slug}-{stamp}.xlsx"'
    add_never_cache_headers(response)
    return response


def _trend_by(form: StatsFilterForm) -> TrendBy:
    return "channel" if form.trend_stacks() == "channel" else "source"


def source_stats_csv_response(*, account: Account, form: StatsFilterForm) -> HttpResponse:
    """The CSV file for a validated filter form: the same for the page's link and for the API (by token).

    Never stored by a cache on the way: it is one account's figures, fetched with a session or a token.
    """
    filters = form.filters()
    if filters.by_touch:
        out = io.StringIO()
        out.write(BOM)
        write_touch_stats(
            SpreadsheetWriter(out, csv_format_for(get_language())),
            touch_stats(account=account, filters=filters),
            account_name=account.name,
            channel_label_text=form.channel_label(),
        )
        body = out.getvalue()
    else:
        stats, trend = source_stats_and_trend(account=account, filters=filters, by=_trend_by(form))
        body = source_stats_csv(
            stats,
            trend=trend,
            account_name=account.name,
            owner_label=form.owner_label(),
            sorts=form.sorts(),
            channel_label_text=form.channel_label(),
        )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = filters.period.end.isoformat() if filters.period else "all-time"
    response["Content-Disposition"] = f'attachment; filename="source-statistics-{account.slug}-{stamp}.csv"'
    add_never_cache_headers(response)
    return response
