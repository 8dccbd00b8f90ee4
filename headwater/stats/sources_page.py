"""The Statistics page's figures (everything under the filter form when the page shows figures), written in Python:
`{% stats_sources_body %}` (stats/templatetags/stats_tags.py).

The same HTML, byte for byte, as the template part it replaces (`stats/tests/reference_forms/_stats_sources.html`,
which test_stats_sources_body.py renders for comparison), at a fraction of the template engine's cost: the part held
some fifty `{% translate %}`s, seven `{% blocktranslate %}`s and a variable lookup per value. What it writes as the
template did:

- a translated text (`{% translate %}`) as it comes, unescaped: the template marks its literals safe;
- a `{% blocktranslate %}`'s message translated as it comes, each value inserted into it escaped;
- a value (`{{ }}`) escaped unless it is HTML already (`conditional_escape`);
- the same message ids, so the catalogue's translations apply unchanged (`%%` where a message has a percent sign,
  as the template's messages are looked up).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from typing import Any

from django.utils.formats import date_format
from django.utils.html import conditional_escape, json_script
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_noop, ngettext

from headwater.core import i18n
from headwater.core.bidi import bdi
from headwater.core.querystrings import QueryWith
from headwater.core.reversed import account_reverse
from headwater.stats.filters import DateRange
from headwater.stats.results import SourceStats, Unconverted, source_label
from headwater.stats.tables import number

# The page's notes and warnings: long messages, marked here for the catalogue (`_t` looks them up when the page is
# written).
_COUNTED_BY = gettext_noop(
    "Contacts and open deals count by the day they were created, closed deals by the day they were won or lost, in "
    "the account's time zone."
)
_NO_RATE = gettext_noop(
    "Some deals are in currencies without an exchange rate. They are counted, but their values are shown apart and "
    "left out of values, shares and averages:"
)
_FUNNEL_NOTE = gettext_noop(
    "Contacts (companies and persons) created in the period; of them, those with at least one deal and those with at "
    "least one won deal, whenever the deal was made (also after the period). Rates: with a deal / new contacts, won / "
    "with a deal, won / new contacts."
)
_TREND_NOTE = gettext_noop(
    "Per calendar month in the account's time zone; the period's first and last months count whole. Contacts by the "
    "month they were created, won value by the month the deals were won (deals without a close date are left out)."
)
_INTERVAL_NOTE = gettext_noop(
    "In brackets under each win rate: its Wilson interval (confidence 95%%); it is wide when a row has few closed "
    "deals."
)
_SPEND_NO_RATE = gettext_noop(
    "Some spend is in currencies without an exchange rate. It is shown apart and left out of the spend, the costs, ROI "
    "and ROAS:"
)
_SPEND_NOTE = gettext_noop(
    "Spend is spread evenly over the days of each entry; “—” where there is no spend (or nothing to divide it by). "
    "ROI = (won value − spend) / spend; ROAS = won value / spend."  # noqa: RUF001 — the minus sign
)
_CAMPAIGNS_NOTE = gettext_noop(
    "Open a source to see its campaigns: the same figures for the records and spend of each campaign, and “(no "
    "campaign)” for the rest, so the rows add up to the source. Campaigns are counted for all owners."
)


def _t(message: str) -> str:
    """`{% translate message %}`: a message with a percent sign is looked up with it doubled, then shown single."""
    return i18n.gettext(message).replace("%%", "%")


def _value(value: Any) -> str:
    """`{{ value }}` under autoescaping."""
    return str(conditional_escape(value))


def _day(day: dt.date) -> str:
    """`{{ day|date:"DATE_FORMAT" }}` inside a `{% blocktranslate %}`."""
    return _day_in(get_language(), day)


@lru_cache(maxsize=1024)
def _day_in(language: str | None, day: dt.date) -> str:
    # Django looks the format up and parses it per call (a period's two days cost a tenth of the page's own part): a
    # day's text is fixed per language, as the trend's month labels are (stats/trend_page.py).
    return escape(date_format(day, "DATE_FORMAT"))


def _money(value: Any) -> str:
    """`{{ value|money }}` (stats_tags.money), escaped."""
    return "" if value is None else escape(number(value, 2))


def _range(message: str, period: DateRange) -> str:
    return i18n.gettext(message) % {"start": _day(period.start), "end": _day(period.end)}


def _summary(stats: SourceStats, owner_label: str) -> str:
    if stats.period:
        period = "\n    " + _range("Period: %(start)s – %(end)s", stats.period) + "\n  "  # noqa: RUF001 — a range's dash
    else:
        period = _t("Period: all time")
    compared = ""
    if stats.previous_period:
        compared = "· " + _range("compared with %(start)s – %(end)s", stats.previous_period)  # noqa: RUF001
    owner = i18n.gettext("Owner: %(owner)s") % {"owner": bdi(owner_label)}
    values = i18n.gettext("Values in %(currency)s") % {"currency": escape(stats.base_currency)}
    return (
        f'<p class="stats-summary">\n  {period}\n  {compared}\n  · {owner}\n  · {values}\n</p>\n'
        f'<p class="stats-summary muted">{_t(_COUNTED_BY)}</p>\n'
    )


def _missing_rates(stats: SourceStats, account_slug: str, is_admin: bool) -> str:
    if not stats.missing_rates:
        return ""
    items = "".join(
        "\n    <li>"
        + ngettext(
            "%(currency)s: %(counter)s deal worth %(value)s %(currency)s",
            "%(currency)s: %(counter)s deals worth %(value)s %(currency)s",
            u.count,
        )
        % {"currency": escape(u.currency), "counter": u.count, "value": _money(u.value)}
        + "</li>\n    "
        for u in stats.missing_rates
    )
    if is_admin:
        url = account_reverse("rates:settings", account_slug=account_slug)
        link = (
            f'<p><a href="{url}?currency={escape(stats.missing_rates[0].currency)}">'
            + _t("Add exchange rates")
            + "</a></p>"
        )
    else:
        link = "<p>" + _t("An admin can add exchange rates in the account settings.") + "</p>"
    return (
        '\n<div class="message message--warning stats-missing-rates" role="alert">\n'
        f"  <p>{_t(_NO_RATE)}</p>\n"
        f"  <ul>\n    {items}\n  </ul>\n  \n  {link}\n  \n</div>\n"
    )


def _highlights(stats: SourceStats, account_slug: str, is_admin: bool) -> str:
    top = stats.top_won_value
    if top:
        highest = i18n.gettext("Highest won value: <strong>%(source)s</strong>, %(value)s %(currency)s.") % {
            "source": bdi(source_label(top.source)),
            "value": _money(top.won_value),
            "currency": escape(stats.base_currency),
        }
    else:
        highest = _t("No source has won deals with a known value in this period.")
    best = stats.best_win_rate
    if best:
        closed = best.won_count + best.lost_count
        rate = ngettext(
            "Best win rate: <strong>%(source)s</strong>, %(rate)s%% (%(won)s of %(closed)s closed deal won).",
            "Best win rate: <strong>%(source)s</strong>, %(rate)s%% (%(won)s of %(closed)s closed deals won).",
            closed,
        ) % {
            "source": bdi(source_label(best.source)),
            "rate": "" if best.win_rate is None else escape(number(best.win_rate, 1)),
            "won": best.won_count,
            "closed": closed,
        }
        among = ngettext(
            "Among %(qualified)s source with at least %(minimum)s closed deals.",
            "Among %(qualified)s sources with at least %(minimum)s closed deals.",
            stats.win_rate_qualified,
        ) % {"qualified": stats.win_rate_qualified, "minimum": stats.win_rate_minimum}
        rated = f"\n    \n    <li>{rate}\n    {among}</li>\n    \n    "
    else:
        none_yet = ngettext(
            "No best win rate yet: no source has %(minimum)s closed deal in this period.",
            "No best win rate yet: no source has %(minimum)s closed deals in this period.",
            stats.win_rate_minimum,
        ) % {"minimum": stats.win_rate_minimum}
        change = ""
        if is_admin:
            url = account_reverse("account_settings:general", account_slug=account_slug)
            change = f' <a href="{url}">' + _t("Change the minimum") + "</a>"
        rated = f"\n    <li>{none_yet}{change}</li>\n    "
    return (
        '<section class="panel stats-highlights" aria-labelledby="stats-highlights-title">\n'
        '  <h2 id="stats-highlights-title" class="visually-hidden">' + _t("Highlights") + "</h2>\n"
        f"  <ul>\n    \n    <li>{highest}</li>\n    \n    {rated}\n  </ul>\n</section>\n\n"
    )


def _chart(canvas_id: str, label: str, caption: str, indent: str = "    ") -> str:
    """A chart's figure (its canvas: stats.js draws it)."""
    return (
        f'{indent}<figure class="stats-chart">\n'
        f'{indent}  <div class="stats-chart__canvas"><canvas id="{canvas_id}" role="img" aria-label="{_t(label)}">'
        f"</canvas></div>\n"
        f"{indent}  <figcaption>{_t(caption)}</figcaption>\n"
        f"{indent}</figure>\n"
    )


def _contacts(sections: Mapping[str, Any]) -> str:
    return (
        '<section class="panel stats-section" aria-labelledby="stats-contacts-title">\n'
        '  <h2 id="stats-contacts-title">' + _t("Contacts") + "</h2>\n"
        '  <div class="stats-layout">\n'
        '    <div class="stats-layout__table">\n'
        f"      {_value(sections['contacts']['html'])}\n"
        "    </div>\n"
        + _chart(
            "chart-contacts",
            gettext_noop("Chart: share of contacts per source (figures in the table beside it)"),
            gettext_noop("Share of contacts per source"),
        )
        + "  </div>\n</section>\n\n\n"
    )


def _funnel(funnel_html: Any) -> str:
    return (
        '<section class="panel stats-section" aria-labelledby="stats-funnel-title">\n'
        '  <h2 id="stats-funnel-title">' + _t("Funnel") + "</h2>\n"
        '  <div class="stats-layout">\n'
        '    <div class="stats-layout__table">\n'
        f"      {_value(funnel_html)}\n"
        f'      <p class="muted stats-note">{_t(_FUNNEL_NOTE)}</p>\n'
        "    </div>\n"
        + _chart(
            "chart-funnel",
            gettext_noop(
                "Chart: new contacts, contacts with a deal and with a won deal per source (figures in the table beside it)"  # noqa: E501 — one message
            ),
            gettext_noop("Funnel per source"),
        )
        + "  </div>\n</section>\n\n\n\n"
    )


def _trend_switch(query: QueryWith, by: str, current: str, label: str) -> str:
    """A button of the trend's switch: `{% querystring trend_by=by %}` (`query`: the page's with `trend_by` set),
    the current one marked."""
    primary, chosen = (" button--primary", ' aria-current="true"') if current == by else ("", "")
    return f'<a class="button{primary}" href="{escape(f"?{query(by)}")}"{chosen}>{_t(label)}</a>'


def _unconverted_list(units: list[Unconverted]) -> str:
    """`{% for u in units %}{{ u.value|money }} {{ u.currency }}, ...{% endfor %}.`"""
    return ", ".join(f"{_money(u.value)} {escape(u.currency)}" for u in units) + "."


def _trend(request: Any, stats: SourceStats, trend: Any, figures: Mapping[str, Any]) -> str:
    switch = QueryWith(request.GET, "trend_by")
    parts = [
        (
            '<section class="panel stats-section" aria-labelledby="stats-trend-title">\n'
            '  <h2 id="stats-trend-title">' + _t("Trend") + "</h2>\n"
            '  <nav class="stats-trend-switch no-print" aria-label="' + _t("Stack the trend by") + '">\n'
            "    " + _trend_switch(switch, "source", trend.by, gettext_noop("By source")) + "\n"
            "    " + _trend_switch(switch, "channel", trend.by, gettext_noop("By channel")) + "\n"
            "  </nav>\n"
            f'  <p class="muted stats-note">{_t(_TREND_NOTE)}</p>\n  '
        )
    ]
    missing = trend.missing_rates  # a property that sums every month's
    if missing:
        parts.append(
            '\n  <p class="message message--warning" role="note">'
            + _t(
                "Won value in currencies without an exchange rate is left out of the charts and shown apart in the table:"  # noqa: E501 — one message
            )
            + f"\n  {_unconverted_list(missing)}</p>\n  "
        )
    parts.append("\n  ")
    if trend.months:
        won_title = i18n.gettext("Won value per month (%(currency)s)") % {"currency": escape(stats.base_currency)}
        parts.append(
            '\n  <figure class="stats-chart stats-chart--wide">\n'
            '    <div class="stats-chart__canvas"><canvas id="chart-trend-contacts" role="img" aria-label="'
            + _t("Chart: new contacts per month, stacked (its figures: open “Show the figures” under it)")
            + '"></canvas></div>\n'
            "    <figcaption>" + _t("New contacts per month") + "</figcaption>\n"
            "  </figure>\n"
            f"  {_value(figures['contacts'])}\n"
            '  <figure class="stats-chart stats-chart--wide">\n'
            '    <div class="stats-chart__canvas"><canvas id="chart-trend-won" role="img" aria-label="'
            + _t("Chart: won value per month, stacked (its figures: open “Show the figures” under it)")
            + '"></canvas></div>\n'
            f"    <figcaption>{won_title}</figcaption>\n"
            "  </figure>\n"
            f"  {_value(figures['won'])}\n  "
        )
    else:
        parts.append("\n  <p>" + _t("No figures in this period yet.") + "</p>\n  ")
    parts.append("\n</section>\n\n\n")
    return "".join(parts)


def _open_and_closed(sections: Mapping[str, Any]) -> str:
    return (
        '<section class="panel stats-section" aria-labelledby="stats-open-title">\n'
        '  <h2 id="stats-open-title">' + _t("Open deals") + "</h2>\n"
        "  <div>\n"
        f"    {_value(sections['open']['html'])}\n"
        "  </div>\n"
        "</section>\n\n"
        '<section class="panel stats-section" aria-labelledby="stats-closed-title">\n'
        '  <h2 id="stats-closed-title">' + _t("Closed deals") + "</h2>\n"
        '  <div class="stats-layout stats-layout--stacked">\n'
        '    <div class="stats-layout__table">\n'
        f"      {_value(sections['closed']['html'])}\n"
        f'      <p class="muted stats-note">{_t(_INTERVAL_NOTE)}</p>\n'
        "    </div>\n"
        '    <div class="stats-charts">\n'
        + _chart(
            "chart-won-value",
            gettext_noop("Chart: won value per source (figures in the table beside it)"),
            gettext_noop("Won value per source"),
            "      ",
        )
        + _chart(
            "chart-win-rate",
            gettext_noop("Chart: win rate per source (figures in the table beside it)"),
            gettext_noop("Win rate per source"),
            "      ",
        )
        + "    </div>\n  </div>\n</section>\n\n"
    )


def _returns(stats: SourceStats, returns_html: Any, campaigns_html: Any, account_slug: str, is_admin: bool) -> str:
    parts = [
        (
            '<section class="panel stats-section" aria-labelledby="stats-returns-title">\n'
            '  <h2 id="stats-returns-title">' + _t("Spend and return") + "</h2>\n  "
        )
    ]
    if returns_html:
        parts.append("\n  ")
        if stats.spend_missing_rates:
            parts.append(
                '\n  <div class="message message--warning" role="note">\n'
                f"    <p>{_t(_SPEND_NO_RATE)}\n"
                f"    {_unconverted_list(stats.spend_missing_rates)}</p>\n"
                "  </div>\n  "
            )
        ledger = ""
        if is_admin:
            url = account_reverse("spend:ledger", account_slug=account_slug)
            ledger = f' <a href="{url}">' + _t("Enter spend") + "</a>"
        parts.append(
            "\n"
            '  <div class="stats-layout stats-layout--stacked">\n'
            '    <div class="stats-layout__table">\n'
            f"      {_value(returns_html)}\n"
            f'      <p class="muted stats-note">{_t(_SPEND_NOTE)}{ledger}</p>\n'
            "    </div>\n"
            '    <div class="stats-charts">\n'
            + _chart(
                "chart-spend-won",
                gettext_noop("Chart: spend against won value per source (figures in the table beside it)"),
                gettext_noop("Spend against won value per source"),
                "      ",
            )
            + _chart(
                "chart-roi",
                gettext_noop("Chart: ROI per source (figures in the table beside it)"),
                gettext_noop("ROI per source"),
                "      ",
            )
            + "    </div>\n  </div>\n  "
        )
        if campaigns_html:
            parts.append(
                '\n  <h3 id="stats-campaigns-title">' + _t("Per campaign") + "</h3>\n"
                f'  <p class="muted stats-note">{_t(_CAMPAIGNS_NOTE)}</p>\n'
                '  <div class="stats-campaigns-list">\n'
                f"  {_value(campaigns_html)}\n"
                "  </div>\n  "
            )
        parts.append("\n  ")
    else:
        parts.append("\n  <p>" + _t("Spend has no owner: choose all owners to see spend and return.") + "</p>\n  ")
    parts.append("\n</section>\n\n")
    return "".join(parts)


def sources_body_html(context: Mapping[str, Any]) -> SafeString:
    """The page's figures from the view's context (stats/views.py `source_stats_page`) and the navigation's
    (`current_account`, `current_membership`)."""
    stats: SourceStats = context["stats"]
    membership = context.get("current_membership")
    is_admin = bool(membership and membership.is_admin)
    account_slug = context["current_account"].slug
    sections = context["sections"]
    notice = ""
    if stats.filters.compare and not stats.compared:
        notice = (
            '\n<p class="message message--warning" role="note">'
            + _t("Choose a period to compare it with the one before; “All time” has nothing before it.")
            + "</p>\n"
        )
    return SafeString(
        "\n"
        + _summary(stats, context["owner_label"])
        + "\n"
        + notice
        + "\n\n"
        + _missing_rates(stats, account_slug, is_admin)
        + "\n\n"
        + _highlights(stats, account_slug, is_admin)
        + _contacts(sections)
        + _funnel(context["funnel_html"])
        + _trend(context["request"], stats, context["trend"], context["trend_figures"])
        + _open_and_closed(sections)
        + _returns(stats, context["returns_html"], context["campaigns_html"], account_slug, is_admin)
        + json_script(context["chart_data"], "stats-chart-data")
        + "\n"
    )  # every inserted text escaped above, or HTML already (the tables), or a translation as the template wrote it
