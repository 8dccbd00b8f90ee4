"""The Statistics page's "Spend and return" table and charts (stats/returns.py computes the figures)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html import escape
from typing import Any

from django.utils.safestring import SafeString

from headwater.core import i18n
from headwater.core.bidi import bdi
from headwater.stats.results import (
    CampaignRow,
    ReturnRow,
    SourceInfo,
    SourceStats,
    campaign_label,
    channel_label,
    source_label,
)
from headwater.stats.tables import Cells, numeric_cells, part_placeholder_html, scrolling_table_html


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
        i18n.gettext("Spend (%(currency)s)") % {"currency": currency},
        i18n.gettext("Cost per new contact"),
        i18n.gettext("Cost per deal"),
        i18n.gettext("Cost per won deal (CAC)"),
        i18n.gettext("Won value (%(currency)s)") % {"currency": currency},
        i18n.gettext("ROI (%)"),
        i18n.gettext("ROAS"),
    ]


def returns_table_html(stats: SourceStats, cells: Cells) -> SafeString | None:
    """The table, rolled up by channel as the page's other tables (in the catalogue's order: not sortable)."""
    section = stats.returns
    if section is None:
        return None
    columns = [i18n.gettext("Source"), *return_columns(stats.base_currency)]
    numeric = ' class="num"'
    head = "<tr>" + "".join(
        f'<th scope="col"{numeric if index else ""}>{escape(title)}</th>' for index, title in enumerate(columns)
    )
    head += "</tr>"

    def row_cells(row: Any) -> list[str]:
        return return_cells(cells, row)

    def header(source: SourceInfo) -> str:
        # A source with campaigns links into its drill-down below the table (a <details> the browser opens, which
        # then loads its table).
        text = cells.header(source)
        count = stats.campaign_counts.get(source.id, 0)
        if count < 1 or source.is_total or source.is_channel:
            return text
        label = i18n.ngettext("%(count)s campaign", "%(count)s campaigns", count) % {"count": count}
        return f'{text} <a class="stats-campaigns__link" href="#{_details_id(source)}-table">{escape(label)}</a>'

    bodies: str | None = None
    if section.channels:
        table, bodies = cells.grouped_table(
            table_id="stats-returns",
            groups=section.channels,
            loose=section.loose_rows,
            total=section.total,
            cells=row_cells,
            header=header,
        )
    else:
        table = cells.table(section.rows, section.total, row_cells, header=header)
    return scrolling_table_html(
        table_id="stats-returns",
        caption=i18n.gettext("Spend and return per source"),
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
        "spend_label": i18n.gettext("Spend (%(currency)s)") % {"currency": stats.base_currency},
        "won_label": i18n.gettext("Won value (%(currency)s)") % {"currency": stats.base_currency},
        "roi_labels": [source_label(r.source) for r in with_roi],
        "roi": [str(r.roi) for r in with_roi],
        "roi_label": i18n.gettext("ROI (%)"),
    }


# --- The drill-down to campaigns (stats/campaign_stats.py) ------------------------------------------------


def _details_id(source: SourceInfo) -> str:
    return f"stats-campaigns-{source.key}"


def campaign_columns(currency: str) -> list[str]:
    return [
        i18n.gettext("New contacts"),
        i18n.gettext("Deals"),
        i18n.gettext("Won deals"),
        i18n.gettext("Won value (%(currency)s)") % {"currency": currency},
        i18n.gettext("Spend (%(currency)s)") % {"currency": currency},
        i18n.gettext("Cost per new contact"),
        i18n.gettext("Cost per deal"),
        i18n.gettext("Cost per won deal (CAC)"),
        i18n.gettext("ROI (%)"),
        i18n.gettext("ROAS"),
    ]


def _campaign_cells(cells: Cells, row: ReturnRow, won_url: str) -> list[str]:
    # The changes (when compared) as on the source rows: the spend's and the ROI's, in the same neutral colours.
    number = cells.number
    won = f'<a href="{escape(won_url)}">{number(row.won_count, 0)}</a>' if won_url else number(row.won_count, 0)
    return [
        number(row.contacts, 0),
        number(row.deals, 0),
        won,
        cells.money(row.won_value),
        cells.money(row.spend, row.spend_unconverted, row.changes.get("spend")),
        cells.money(row.cost_per_contact),
        cells.money(row.cost_per_deal),
        cells.money(row.cost_per_won),
        cells.rate(row.roi, row.changes.get("roi")),
        _ratio(cells, row.roas),
    ]


def _campaign_header(cells: Cells, row: CampaignRow) -> str:
    campaign = row.campaign
    if campaign.id is None or not campaign.known:
        return escape(campaign_label(campaign))
    label = bdi(campaign.name)
    if campaign.archived:
        return f'{label} <span class="badge badge--archived">{cells.archived}</span>'
    return label


def _campaign_head(currency: str) -> str:
    numeric = ' class="num"'
    columns = [i18n.gettext("Campaign"), *campaign_columns(currency)]
    head = "<tr>" + "".join(
        f'<th scope="col"{numeric if index else ""}>{escape(title)}</th>' for index, title in enumerate(columns)
    )
    return head + "</tr>"


def campaign_table_caption(source: SourceInfo) -> str:
    return i18n.gettext("Spend and return per campaign of %(source)s") % {"source": source_label(source)}


def campaign_table_html(stats: SourceStats, cells: Cells, source_row: ReturnRow) -> SafeString | None:
    """One source's campaigns' table (stats/campaign_stats.py), the source's own row as its total: what its
    drill-down shows when opened (stats/part_views.py). None when the source has no campaign rows in `stats`."""
    rows = stats.campaigns.get(source_row.source.id)
    if not rows:
        return None
    source = source_row.source
    body = "".join(
        f'<tr><th scope="row">{_campaign_header(cells, row)}</th>'
        f"{numeric_cells(_campaign_cells(cells, row, cells.links.campaign_url(source, row.campaign.id, 'won')))}"
        "</tr>\n    "
        for row in rows
    )
    total = i18n.gettext("All of the source")
    foot = (
        f'<tr class="stats-total"><th scope="row">{escape(total)}</th>'
        + numeric_cells(_campaign_cells(cells, source_row, ""))
        + "</tr>"
    )
    return scrolling_table_html(
        table_id=f"{_details_id(source)}-table",
        caption=campaign_table_caption(source),
        head=_campaign_head(stats.base_currency),
        body=body,
        foot=foot,
    )  # every inserted text escaped above or built escaped (Cells, bdi)


def source_path_html(cells: Cells, source: SourceInfo) -> str:
    """The channel, then the source, as a path: what names a source's campaigns (HTML, escaped)."""
    channel = channel_label(source)
    name = cells.header(source)
    return f"{bdi(channel)} › {name}" if channel else name  # noqa: RUF001 — a path between names


def returns_source_rows(stats: SourceStats) -> list[ReturnRow]:
    """The source rows of "Spend and return" in the table's order (channel, then source), without the channels'."""
    section = stats.returns
    if section is None:
        return []
    if not section.channels:
        return section.rows
    return [row for group in section.channels for row in group.rows] + section.loose_rows


def campaigns_html(stats: SourceStats, cells: Cells, part_url: Callable[[SourceInfo], str]) -> SafeString | None:
    """Each source with campaigns as a <details> (closed), in the order of the "Spend and return" table (channel,
    then source). Its table loads when it is opened (htmx, from `part_url(source)`: stats/part_views.py); without a
    script, the link in it opens the table on a page of its own. `stats.campaign_counts` says which sources have
    campaigns and how many: the page reads no campaign's figures (docs/performance.md)."""
    if stats.returns is None or not stats.campaign_counts:
        return None
    loading = escape(i18n.gettext("Loading the campaigns…"))
    failed = escape(
        i18n.gettext("The campaigns could not be loaded. Open them with the link below, or reload the page.")
    )
    open_apart = escape(i18n.gettext("Show the campaigns on a page of their own"))
    parts: list[str] = []
    for source_row in returns_source_rows(stats):
        source = source_row.source
        count = stats.campaign_counts.get(source.id)
        if not count:
            continue
        details_id = escape(_details_id(source))
        url = escape(part_url(source))
        summary = source_path_html(cells, source)
        counted = i18n.ngettext("%(count)s campaign", "%(count)s campaigns", count) % {"count": count}
        parts.append(
            f'<details class="stats-campaigns" id="{details_id}" hx-get="{url}" hx-trigger="toggle once" '
            'hx-target="find .js-stats-part" hx-swap="outerHTML">\n'
            f'<summary>{summary} <span class="muted">({escape(counted)})</span></summary>\n'
            + part_placeholder_html(f"{details_id}-table", url, loading=loading, failed=failed, open_apart=open_apart)
            + "</details>\n"
        )
    if not parts:
        return None
    return SafeString("".join(parts))  # every inserted text escaped above or built escaped (Cells, bdi)
