"""The Statistics page's "Trend" section: two stacked bar charts (new contacts, won value per month), each with its
figures in a table under it, behind "Show the figures" (a <details> that loads the table when opened:
stats/part_views.py). stats/trend.py computes the figures."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from html import escape
from typing import Any

from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from headwater.core import i18n
from headwater.core.bidi import bdi
from headwater.stats.money import cents_text
from headwater.stats.results import source_label
from headwater.stats.tables import NumberFormat, numeric_cells, part_placeholder_html, scrolling_table_html
from headwater.stats.trend import Trend


def _months(months: list[dt.date]) -> list[str]:
    """Each month's label, the language looked up once (the lookup costs more than the cached label)."""
    language = get_language()
    return [_month_in(language, month) for month in months]


@lru_cache(maxsize=1024)
def _month_in(language: str | None, month: dt.date) -> str:
    # Django looks the format up per call (a third of the trend's rendering): a month's label is fixed per language.
    return str(date_format(month, "YEAR_MONTH_FORMAT"))


def _table(trend: Trend, *, table_id: str, caption: str, won: bool) -> SafeString:
    number = NumberFormat(html=True)
    # A source's or channel's name is user text, isolated like everywhere (core.bidi); the other headers are ours.
    columns = [
        escape(i18n.gettext("Month")),
        *(str(bdi(source_label(s.source))) for s in trend.series),
        escape(i18n.gettext("Total")),
    ]
    if won:
        columns.append(escape(i18n.gettext("Without an exchange rate")))
    numeric = ' class="num"'
    head = "<tr>" + "".join(
        f'<th scope="col"{numeric if index else ""}>{title}</th>' for index, title in enumerate(columns)
    )
    head += "</tr>"
    lines = []
    for at, month in enumerate(_months(trend.months)):
        if won:
            figures = [number.cents(s.won[at].cents) for s in trend.series] + [number.cents(trend.won_total[at].cents)]
            apart = "; ".join(f"{number(u.value, 2)} {escape(u.currency)} ({u.count})" for u in trend.unconverted(at))
            figures.append(apart or "—")
        else:
            figures = [number(s.contacts[at], 0) for s in trend.series] + [number(trend.contacts_total[at], 0)]
        lines.append(f'<tr><th scope="row">{escape(month)}</th>{numeric_cells(figures)}</tr>')
    if won:
        sums = [number.cents(sum(m.cents for m in s.won)) for s in trend.series]
        sums.append(number.cents(sum(m.cents for m in trend.won_total)))
        apart = "; ".join(f"{number(u.value, 2)} {escape(u.currency)} ({u.count})" for u in trend.missing_rates)
        sums.append(apart or "—")
    else:
        sums = [number(sum(s.contacts), 0) for s in trend.series] + [number(sum(trend.contacts_total), 0)]
    foot = f'<tr class="stats-total"><th scope="row">{escape(i18n.gettext("Total"))}</th>{numeric_cells(sums)}</tr>'
    return scrolling_table_html(table_id=table_id, caption=caption, head=head, body="\n    ".join(lines), foot=foot)


def trend_tables_html(trend: Trend) -> dict[str, SafeString]:
    by = i18n.gettext("per channel") if trend.by == "channel" else i18n.gettext("per source")
    return {
        "contacts": _table(
            trend,
            table_id="stats-trend-contacts",
            caption=i18n.gettext("New contacts per month %(by)s") % {"by": by},
            won=False,
        ),
        "won": _table(
            trend,
            table_id="stats-trend-won",
            caption=i18n.gettext("Won value per month %(by)s (%(currency)s)")
            % {"by": by, "currency": trend.base_currency},
            won=True,
        ),
    }


def trend_figures_details(*, figures: str, url: str, chart_title: str) -> SafeString:
    """The closed "Show the figures" under a chart; its table loads from `url` when opened (stats/part_views.py).
    `chart_title` (the chart's caption) completes its name for a screen reader, as two of them are on the page."""
    element_id = f"stats-trend-{figures}-figures"
    show = escape(i18n.gettext("Show the figures"))
    placeholder = part_placeholder_html(
        f"{element_id}-part",
        escape(url),
        loading=escape(i18n.gettext("Loading the figures…")),
        failed=escape(
            i18n.gettext("The figures could not be loaded. Open them with the link below, or reload the page.")
        ),
        open_apart=escape(i18n.gettext("Show the figures on a page of their own")),
    )
    return SafeString(
        f'<details class="stats-figures" id="{element_id}" hx-get="{escape(url)}" hx-trigger="toggle once" '
        'hx-target="find .js-stats-part" hx-swap="outerHTML">\n'
        f'<summary>{show}<span class="visually-hidden">: {escape(chart_title)}</span></summary>\n'
        f"{placeholder}</details>\n"
    )  # every inserted text escaped above


def trend_chart_data(trend: Trend) -> dict[str, Any]:
    """What stats.js stacks: one dataset per source (channel), figures as exact strings."""
    return {
        "months": _months(trend.months),
        "series": [
            {
                "label": source_label(s.source),
                "contacts": [str(n) for n in s.contacts],
                "won": [cents_text(money.cents) for money in s.won],
            }
            for s in trend.series
        ],
        "contacts_label": i18n.gettext("New contacts"),
        "won_label": i18n.gettext("Won value (%(currency)s)") % {"currency": trend.base_currency},
    }
