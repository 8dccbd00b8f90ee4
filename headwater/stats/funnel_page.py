"""The Statistics page's "Funnel" table and chart (stats/funnel_sql.py keeps the tallies, stats/selectors.py sums
them): per source, the contacts created in the period, those with a deal, those with a won deal, and the rates."""

from __future__ import annotations

from html import escape
from typing import Any

from django.utils.safestring import SafeString

from headwater.core import i18n
from headwater.stats.results import FunnelRow, SourceStats, source_label
from headwater.stats.tables import Cells, scrolling_table_html


def funnel_cells(cells: Cells, row: FunnelRow) -> list[str]:
    return [
        cells.count(row.contacts, "", row.changes.get("contacts")),
        cells.count(row.with_deal, "", row.changes.get("with_deal")),
        cells.share(row.deal_rate),
        cells.count(row.won, "", row.changes.get("won")),
        cells.share(row.win_rate),
        cells.share(row.overall_rate),
    ]


def funnel_columns() -> list[str]:
    return [
        i18n.gettext("New contacts"),
        i18n.gettext("With a deal"),
        i18n.gettext("Contact to deal"),
        i18n.gettext("With a won deal"),
        i18n.gettext("Deal to won"),
        i18n.gettext("Contact to won"),
    ]


def funnel_table_html(stats: SourceStats, cells: Cells) -> SafeString | None:
    """The table, rolled up by channel as the page's other tables (in the catalogue's order: not sortable)."""
    section = stats.funnel
    if section is None:
        return None
    columns = [i18n.gettext("Source"), *funnel_columns()]
    numeric = ' class="num"'
    head = "<tr>" + "".join(
        f'<th scope="col"{numeric if index else ""}>{escape(title)}</th>' for index, title in enumerate(columns)
    )
    head += "</tr>"

    def row_cells(row: Any) -> list[str]:
        return funnel_cells(cells, row)

    bodies: str | None = None
    if section.channels:
        table, bodies = cells.grouped_table(
            table_id="stats-funnel",
            groups=section.channels,
            loose=section.loose_rows,
            total=section.total,
            cells=row_cells,
        )
    else:
        table = cells.table(section.rows, section.total, row_cells)
    return scrolling_table_html(
        table_id="stats-funnel",
        caption=i18n.gettext("Contacts, contacts with a deal and with a won deal per source"),
        head=head,
        body=table.body,
        foot=table.foot,
        bodies=bodies,
    )


def funnel_chart_data(stats: SourceStats) -> dict[str, Any] | None:
    """What stats.js draws: per source with new contacts, the three steps as bars."""
    if stats.funnel is None:
        return None
    rows = [r for r in stats.funnel.rows if r.contacts or r.with_deal or r.won]
    return {
        "labels": [source_label(r.source) for r in rows],
        "contacts": [str(r.contacts) for r in rows],
        "with_deal": [str(r.with_deal) for r in rows],
        "won": [str(r.won) for r in rows],
        "contacts_label": i18n.gettext("New contacts"),
        "with_deal_label": i18n.gettext("With a deal"),
        "won_label": i18n.gettext("With a won deal"),
    }
