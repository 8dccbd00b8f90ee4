"""The Statistics page's "Spend and return" table and charts (stats/returns.py computes the figures)."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from headwater.stats.results import ReturnRow, SourceStats, source_label
from headwater.stats.tables import Cells, scrolling_table_html


def _ratio(cells: Cells, value: Decimal | None) -> str:
    return cells.empty if value is None else f"{cells.number(value, 2)}×"  # noqa: RUF001 — the sign of a ratio


def return_cells(cells: Cells, row: ReturnRow) -> list[str]:
    # More spend is not good or bad news by itself: its change takes the neutral colour of a rise in won value.
    return [
        cells.money(row.spend, row.spend_unconverted, row.changes.get("spend")),
        cells.money(row.cost_per_contact),
        cells.money(row.cost_per_deal),
        cells.money(row.cost_per_won),
        cells.money(row.won_value),
        cells.rate(row.roi, row.changes.get("roi")),
        _ratio(cells, row.roas),
    ]


def return_columns(currency: str) -> list[str]:
    return [
        _("Spend (%(currency)s)") % {"currency": currency},
        _("Cost per new contact"),
        _("Cost per deal"),
        _("Cost per won deal (CAC)"),
        _("Won value (%(currency)s)") % {"currency": currency},
        _("ROI (%)"),
        _("ROAS"),
    ]


def returns_table_html(stats: SourceStats, cells: Cells) -> SafeString | None:
    """The table, rolled up by channel as the page's other tables (in the catalogue's order: not sortable)."""
    section = stats.returns
    if section is None:
        return None
    columns = [_("Source"), *return_columns(stats.base_currency)]
    numeric = ' class="num"'
    head = "<tr>" + "".join(
        f'<th scope="col"{numeric if index else ""}>{escape(title)}</th>' for index, title in enumerate(columns)
    )
    head += "</tr>"

    def row_cells(row: Any) -> list[str]:
        return return_cells(cells, row)

    bodies: str | None = None
    if section.channels:
        table, bodies = cells.grouped_table(
            table_id="stats-returns",
            groups=section.channels,
            loose=section.loose_rows,
            total=section.total,
            cells=row_cells,
        )
    else:
        table = cells.table(section.rows, section.total, row_cells)
    return scrolling_table_html(
        table_id="stats-returns",
        caption=_("Spend and return per source"),
        head=head,
        body=table.body,
        foot=table.foot,
        bodies=bodies,
    )


def returns_chart_data(stats: SourceStats) -> dict[str, Any] | None:
    """What stats.js draws: spend against won value, and the ROI, of each source with spend or won value."""
    if stats.returns is None:
        return None
    rows = [r for r in stats.returns.rows if r.spend or r.won_value]
    with_roi = [r for r in rows if r.roi is not None]
    return {
        "labels": [source_label(r.source) for r in rows],
        "spend": [str(r.spend) for r in rows],
        "won": [str(r.won_value) for r in rows],
        "spend_label": _("Spend (%(currency)s)") % {"currency": stats.base_currency},
        "won_label": _("Won value (%(currency)s)") % {"currency": stats.base_currency},
        "roi_labels": [source_label(r.source) for r in with_roi],
        "roi": [str(r.roi) for r in with_roi],
        "roi_label": _("ROI (%)"),
    }
